# Builds the Windows installer: PyInstaller one-folder app, then Inno Setup (ISCC.exe on PATH).
# Run from a "Developer PowerShell" with Python 3.11+ and Inno Setup 6 installed.
$ErrorActionPreference = 'Stop'
$root = Resolve-Path (Join-Path $PSScriptRoot '..\..')
Set-Location $root
python -m pip install -e '.[installer]' pillow
# PyInstaller needs an .ico for the exe; Pillow converts the shipped PNG.
python -c "from PIL import Image; Image.open('assets/xtract-gui.png').save('assets/icon.ico', sizes=[(16,16),(32,32),(48,48),(256,256)])"
python -m PyInstaller --noconfirm --clean --distpath build\installer\dist --workpath build\installer\work installer\xtract-gui.spec
$env:XTRACT_VERSION = (python -c "import xtract_gui; print(xtract_gui.__version__)")
ISCC.exe installer\windows\xtract-gui.iss
Write-Output "installer: build\installer\xtract-gui-$($env:XTRACT_VERSION)-setup.exe"
