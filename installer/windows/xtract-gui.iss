; Inno Setup 6 script: per-user install of the one-folder build, no admin rights needed.
; Build on Windows:  installer\windows\build.ps1   (runs PyInstaller, then ISCC on this file)
#define AppVersion GetEnv("XTRACT_VERSION")
#if AppVersion == ""
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6C7A5B2E-9B0D-4B55-9E8B-8C0E2D6A1F31}
AppName=xtract-gui
AppVersion={#AppVersion}
AppPublisher=xtract-gui developers
DefaultDirName={localappdata}\Programs\xtract-gui
DefaultGroupName=xtract-gui
; Consultants often have no admin rights on their laptop: install for the current user only.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DisableProgramGroupPage=yes
OutputDir=..\..\build\installer
OutputBaseFilename=xtract-gui-{#AppVersion}-setup
SetupIconFile=..\..\assets\icon.ico
UninstallDisplayIcon={app}\xtract-gui.exe
Compression=lzma2/max
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
ArchitecturesAllowed=x64compatible

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "japanese"; MessagesFile: "compiler:Languages\Japanese.isl"

[Files]
Source: "..\..\build\installer\dist\xtract-gui\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\xtract-gui"; Filename: "{app}\xtract-gui.exe"
Name: "{userprograms}\xtract-gui (demo)"; Filename: "{app}\xtract-gui.exe"; Parameters: "--demo"
Name: "{userdesktop}\xtract-gui"; Filename: "{app}\xtract-gui.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\xtract-gui.exe"; Description: "{cm:LaunchProgram,xtract-gui}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The job database and logs live in %LOCALAPPDATA%\xtract-gui and are kept on purpose:
; they hold the migration history a consultant may need to hand over.
Type: filesandordirs; Name: "{app}"
