"""The lab's Windows guests, reachable over WinRM (WS-Management) by the product's real WinRM channel.

It does NOT run PowerShell.  It recognises the command shapes the WinRM channel sends (write a base64
piece read from stdin, read a file, remove a folder, run a script with ``-ParamsFile``) and answers each
guest task from resources/manifest.json with the JSON result the real script would print for the guest's
state, changing that state as the real script would (a second run reports ``changed: false``).
A run is recognised by the task id the channel writes into the params file, else by the script's
file name; never by the script's text (every script starts with the same prelude).

Known deviations from real Windows / WinRM:
- Authentication: NTLM (HTTP Negotiate, with MS-WSMV message encryption on HTTP and the TLS channel
  binding checked on HTTPS) via pyspnego's acceptor, and Basic (which real WinRM disables by default
  and this lab always accepts); no Kerberos or CredSSP.  NTLM passwords come from one pyspnego
  credential file per process (env NTLM_USER_FILE, set by the lab when unset).  Unencrypted HTTP
  is accepted (real WinRM refuses it unless AllowUnencrypted is true).  ``Faults.clear_replies`` answers
  encrypted requests in clear and ``Faults.forged_result`` rewrites a run's stdout: what someone on the
  path could send (pywinrm 0.5.0's ``Encryption.parse_encrypted_response`` hands such a body back as is).
- Commands other than the four shapes above fail with exit code 1; there is no cmd.exe or PowerShell.
  Scripts that are not in the manifest (or have no handler, e.g. win.remove_ghost_devices) succeed
  without changing anything and report the SHA-256 and size of what was uploaded.
- Piped stdin reaches a command only when it was created with WINRS_CONSOLEMODE_STDIN=FALSE (as
  powershell.exe's $input sees nothing from a console stdin); stdin is taken as sent so far.
- A command runs when its output is first received (stdin must have been sent with End=true before);
  Receive returns all output at once with CommandState Done, never Running with partial output.
- Shells have no idle timeout, quota, MaxEnvelopeSize check or per-user limit; the Enumerate, Get and
  Put actions (WMI, config) are not implemented; SOAP headers other than Action, MessageID,
  OperationTimeout and the ShellId selector are ignored.
- Access is denied (WSManFault 5) at shell creation when the account is not an administrator with a full
  token and not a Remote Management User, as real WinRM does; UAC remote restrictions follow KB951016.
- Task answers follow the manifest's result_examples with simplified details: a certificate's
  thumbprint is the SHA-1 of the uploaded file's bytes (built-in Nutanix thumbprints when no file is
  given); the VirtIO package must exist but is not inspected; licensing is fixed per guest.
- The file system is a dict of case-insensitive paths; no ACLs, no free-space limit.
- ``set_on_target(True)`` changes the SMBIOS UUID (as the move to AHV does); ``complete_first_boot()``
  stands for the scheduled task running at startup.
"""

from .server import WinRmLab, self_signed
from .state import Account, Faults, Nic, WindowsGuest
from .wsman import Endpoint

__all__ = ["Account", "Endpoint", "Faults", "Nic", "WinRmLab", "WindowsGuest", "self_signed"]
