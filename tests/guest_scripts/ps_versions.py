"""What each PowerShell feature needs, from Microsoft's documentation: the checker's version table.

Windows PowerShell 2.0 is what Windows 7 / Server 2008 R2 ship (CLR 2.0, so .NET 4 members are
missing too); 3.0 came with Windows 8 / 2012, 4.0 with 8.1 / 2012 R2, 5.1 with 10 / 2016+. A
"module" entry lives in a module that only some systems have (a role, a feature, a newer Windows):
it needs a ``Get-Command`` guard whatever the script's ``min_powershell``.

Each entry: (the version it appeared in, or MODULE; where Microsoft says so).
"""

from __future__ import annotations

MODULE = "module"
DOCS = "https://learn.microsoft.com/powershell/module"
ABOUT = "https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about"

# Cmdlets (lower case).
CMDLETS: dict[str, tuple[str, str]] = {
    "get-ciminstance": ("3.0", f"{DOCS}/cimcmdlets/get-ciminstance (CimCmdlets, new in 3.0)"),
    "invoke-cimmethod": ("3.0", f"{DOCS}/cimcmdlets/invoke-cimmethod (CimCmdlets, new in 3.0)"),
    "convertfrom-json": ("3.0", f"{DOCS}/microsoft.powershell.utility/convertfrom-json (introduced in 3.0)"),
    "convertto-json": ("3.0", f"{DOCS}/microsoft.powershell.utility/convertto-json (introduced in 3.0)"),
    "invoke-webrequest": ("3.0", f"{DOCS}/microsoft.powershell.utility/invoke-webrequest (introduced in 3.0)"),
    "invoke-restmethod": ("3.0", f"{DOCS}/microsoft.powershell.utility/invoke-restmethod (introduced in 3.0)"),
    "get-filehash": ("4.0", f"{DOCS}/microsoft.powershell.utility/get-filehash (introduced in 4.0)"),
    "new-temporaryfile": ("5.0", f"{DOCS}/microsoft.powershell.utility/new-temporaryfile (introduced in 5.0)"),
    "expand-archive": ("5.0", f"{DOCS}/microsoft.powershell.archive/expand-archive (Archive module, 5.0)"),
    "get-localuser": ("5.1", f"{DOCS}/microsoft.powershell.localaccounts/get-localuser (5.1)"),
    # Modules of Windows 8 / Server 2012 and later (none on 2008 R2 / 7, whatever the WMF installed).
    "get-disk": (MODULE, f"{DOCS}/storage/get-disk (Storage module, Windows 8 / Server 2012)"),
    "set-disk": (MODULE, f"{DOCS}/storage/set-disk (Storage module, Windows 8 / Server 2012)"),
    "set-storagesetting": (MODULE, f"{DOCS}/storage/set-storagesetting (Storage module, Windows 8 / 2012)"),
    "get-netroute": (MODULE, f"{DOCS}/nettcpip/get-netroute (NetTCPIP module, Windows 8 / Server 2012)"),
    "new-netroute": (MODULE, f"{DOCS}/nettcpip/new-netroute (NetTCPIP module, Windows 8 / Server 2012)"),
    "remove-netroute": (MODULE, f"{DOCS}/nettcpip/remove-netroute (NetTCPIP module, Windows 8 / 2012)"),
    "get-netipaddress": (MODULE, f"{DOCS}/nettcpip/get-netipaddress (NetTCPIP module, Windows 8 / 2012)"),
    "set-netipinterface": (MODULE, f"{DOCS}/nettcpip/set-netipinterface (NetTCPIP module, Windows 8 / 2012)"),
    "get-netadapter": (MODULE, f"{DOCS}/netadapter/get-netadapter (NetAdapter module, Windows 8 / 2012)"),
    "rename-netadapter": (MODULE, f"{DOCS}/netadapter/rename-netadapter (NetAdapter module, Windows 8 / 2012)"),
    "import-certificate": (MODULE, f"{DOCS}/pki/import-certificate (PKI module, Windows 8 / Server 2012)"),
    "get-scheduledtask": (MODULE, f"{DOCS}/scheduledtasks/get-scheduledtask (ScheduledTasks, Windows 8 / 2012)"),
    "register-scheduledtask": (MODULE, f"{DOCS}/scheduledtasks/register-scheduledtask (Windows 8 / 2012)"),
    "get-pnpdevice": (MODULE, f"{DOCS}/pnpdevice/get-pnpdevice (PnpDevice module, Windows 10 / Server 2016)"),
    # Only where the Failover Clustering feature is installed.
    "get-clusterresource": (MODULE, f"{DOCS}/failoverclusters/get-clusterresource (FailoverClusters feature)"),
    "get-clusterresourcetype": (MODULE, f"{DOCS}/failoverclusters/get-clusterresource (FailoverClusters feature)"),
}

# Operators (lower case, as written).
OPERATORS: dict[str, tuple[str, str]] = {
    "-in": ("3.0", f"{ABOUT}/about_comparison_operators (containment operators -in/-notin: 3.0)"),
    "-notin": ("3.0", f"{ABOUT}/about_comparison_operators (containment operators -in/-notin: 3.0)"),
    "-shl": ("3.0", f"{ABOUT}/about_arithmetic_operators (bitwise shift -shl/-shr: 3.0)"),
    "-shr": ("3.0", f"{ABOUT}/about_arithmetic_operators (bitwise shift -shl/-shr: 3.0)"),
}

# Type accelerators and types (lower case, without brackets).
TYPES: dict[str, tuple[str, str]] = {
    "ordered": ("3.0", f"{ABOUT}/about_hash_tables ([ordered] dictionaries: 3.0)"),
    "pscustomobject": ("3.0", f"{ABOUT}/about_pscustomobject ([pscustomobject] accelerator: 3.0)"),
    "ciminstance": ("3.0", f"{ABOUT}/about_type_accelerators ([ciminstance]: 3.0)"),
    "cimsession": ("3.0", f"{ABOUT}/about_type_accelerators ([cimsession]: 3.0)"),
    # .NET Framework 3.5 "System.Web.Extensions": a Windows feature that 2008 R2 does not have by default.
    "system.web.script.serialization.javascriptserializer": (
        MODULE, "https://learn.microsoft.com/dotnet/api/system.web.script.serialization.javascriptserializer "
                "(System.Web.Extensions, .NET Framework 3.5)"),
}

# Members (lower case; "type::member" for static ones, ".member" for any instance).
MEMBERS: dict[str, tuple[str, str]] = {
    "::new": ("5.0", f"{ABOUT}/about_object_creation (the static new() method: 5.0)"),
    ".where": ("4.0", f"{ABOUT}/about_arrays (Where and ForEach methods: 4.0)"),
    ".foreach": ("4.0", f"{ABOUT}/about_arrays (Where and ForEach methods: 4.0)"),
    # .NET Framework 4 members: Windows PowerShell 2.0 runs on CLR 2.0, 3.0 is the first on CLR 4.
    "string::isnullorwhitespace": ("3.0", "https://learn.microsoft.com/dotnet/api/system.string.isnullorwhitespace "
                                          "(.NET Framework 4.0)"),
    "io.file::readlines": ("3.0", "https://learn.microsoft.com/dotnet/api/system.io.file.readlines (.NET 4.0)"),
    "io.directory::enumeratefiles": ("3.0", "https://learn.microsoft.com/dotnet/api/system.io.directory.enumeratefiles "
                                            "(.NET Framework 4.0)"),
    "environment::is64bitoperatingsystem": ("3.0", "https://learn.microsoft.com/dotnet/api/"
                                                   "system.environment.is64bitoperatingsystem (.NET 4.0)"),
    ".hasflag": ("3.0", "https://learn.microsoft.com/dotnet/api/system.enum.hasflag (.NET Framework 4.0)"),
}

# Parameter values and parameters.
PARAMETERS: dict[str, tuple[str, str]] = {
    "-erroraction ignore": ("3.0", f"{ABOUT}/about_commonparameters (ErrorAction Ignore: 3.0)"),
    "-nonewline": ("5.0", f"{DOCS}/microsoft.powershell.management/set-content (-NoNewline: 5.0)"),
    "-tail": ("3.0", f"{DOCS}/microsoft.powershell.management/get-content (-Tail: 3.0)"),
}

VARIABLES: dict[str, tuple[str, str]] = {
    "$psitem": ("3.0", f"{ABOUT}/about_automatic_variables ($PSItem: 3.0)"),
}


def newer_than(version: str, minimum: str) -> bool:
    """True when ``version`` (a table entry) may be missing on a system with PowerShell ``minimum``."""
    if version == MODULE:
        return True

    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.split("."))

    return key(version) > key(minimum)
