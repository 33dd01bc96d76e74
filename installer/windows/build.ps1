# Builds the Windows installer: PyInstaller one-folder app, then Inno Setup (ISCC.exe on PATH or in its default folder).
# Run from a "Developer PowerShell" with Python 3.11+ and Inno Setup 6 installed.
$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..\..')
Set-Location $root
python -m pip install -e '.[installer]' pillow
if ($LASTEXITCODE -ne 0) { throw "pip failed ($LASTEXITCODE)" }
# PyInstaller needs an .ico for the exe; Pillow converts the shipped PNG.
python -c "from PIL import Image; Image.open('assets/xtract-gui.png').save('assets/icon.ico', sizes=[(16,16),(32,32),(48,48),(256,256)])"
python -m PyInstaller --noconfirm --clean --distpath build\installer\dist --workpath build\installer\work installer\xtract-gui.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed ($LASTEXITCODE)" }
$env:XTRACT_VERSION = (python -c "import xtract_gui; print(xtract_gui.__version__)")
# Inno Setup 6 puts ISCC.exe in Program Files (x86) without adding it to PATH.
$iscc = (Get-Command ISCC.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = Join-Path ${env:ProgramFiles(x86)} 'Inno Setup 6\ISCC.exe' }
if (-not (Test-Path $iscc)) { throw "Inno Setup 6 is not installed (ISCC.exe not found): https://jrsoftware.org/isinfo.php" }
& $iscc installer\windows\xtract-gui.iss
if ($LASTEXITCODE -ne 0) { throw "ISCC failed ($LASTEXITCODE)" }
Write-Output "installer: build\installer\xtract-gui-$($env:XTRACT_VERSION)-setup.exe"
