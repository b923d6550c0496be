; Tokentray's Windows installer, built with NSIS 3 (Debian's `makensis`):
;   makensis -DBIN=<folder with the .exe files> -DVERSION=0.1.0 -DOUT=tokentray-setup.exe installer.nsi
; Per user, no administrator: the programs in %LOCALAPPDATA%\Programs\Tokentray, that folder on
; the user's PATH, the Docker helper as a copy of tokentray.exe (Windows has no symlinks a
; user may make), a Start-menu entry, start at login as an option (a section; on by default
; in the dialog, off with /S), and an uninstaller that removes what this added and asks before
; removing the data (a silent uninstall keeps it). 64-bit: a 32-bit installer on a 64-bit-only
; system installs nothing and still exits 0.
; The desktop app (tokentray-desktop.exe, the tray) needs WebView2 for its accounts window only:
; present on Windows 10 and 11; where it is missing the installer says where to get it (the
; tray, the CLI and the helpers work without it). WebView2Loader.dll goes beside it (the
; -gnu build links the loader as a DLL).
Unicode true
Target amd64-unicode
RequestExecutionLevel user
; LZMA for what is shipped; a test may ask for zlib (-DCOMPRESSOR=zlib), 3 times faster.
!ifndef COMPRESSOR
  !define COMPRESSOR "/SOLID lzma"
!endif
SetCompressor ${COMPRESSOR}

!include "MUI2.nsh"
!include "StrFunc.nsh"
${StrRep}
${UnStrRep}

!ifndef VERSION
  !define VERSION "0.0.0"
!endif
!ifndef OUT
  !define OUT "tokentray-setup.exe"
!endif

Name "Tokentray"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\Tokentray"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Tokentray"

!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "Tokentray (required)" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${BIN}\tokentray.exe"
  File "${BIN}\tokentray-full.exe"
  File "${BIN}\tokentray-desktop.exe"
  File "${BIN}\WebView2Loader.dll"
  ; Docker runs its helper by this name; the same program answers by its name.
  File "/oname=docker-credential-tokentray.exe" "${BIN}\tokentray.exe"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; The user's PATH (HKCU\Environment), once.
  ReadRegStr $0 HKCU "Environment" "Path"
  ${StrRep} $1 "$0" "$INSTDIR" ""
  StrCmp $1 $0 0 path_done
    StrCmp $0 "" 0 +3
      WriteRegExpandStr HKCU "Environment" "Path" "$INSTDIR"
      Goto path_told
    WriteRegExpandStr HKCU "Environment" "Path" "$0;$INSTDIR"
  path_told:
    SendMessage ${HWND_BROADCAST} ${WM_WININICHANGE} 0 "STR:Environment" /TIMEOUT=500
  path_done:

  CreateDirectory "$SMPROGRAMS\Tokentray"
  CreateShortcut "$SMPROGRAMS\Tokentray\Tokentray.lnk" "$INSTDIR\tokentray-desktop.exe"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "Tokentray"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Tokentray"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section /o "Start at login" SecLogin
  ; The value the app's own "Start at login" setting writes too (its product name), so the two
  ; never start it twice.
  WriteRegStr HKCU "Software\Microsoft\Windows\CurrentVersion\Run" "Tokentray" '"$INSTDIR\tokentray-desktop.exe" --hidden'
SectionEnd

Function .onInit
  ; Offered on in the dialog; a silent install (/S) leaves it off.
  IfSilent +2
    SectionSetFlags ${SecLogin} ${SF_SELECTED}
FunctionEnd

; WebView2's Evergreen runtime registers its version here (per machine, or per user).
!define WEBVIEW2_CLIENT "Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
Function .onInstSuccess
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\${WEBVIEW2_CLIENT}" "pv"
  StrCmp $0 "" 0 webview2_found
  ReadRegStr $0 HKCU "Software\${WEBVIEW2_CLIENT}" "pv"
  StrCmp $0 "" 0 webview2_found
    DetailPrint "WebView2 is missing: the accounts window needs it"
    MessageBox MB_OK|MB_ICONINFORMATION "The accounts window needs Microsoft Edge WebView2, which this system lacks.$\r$\nGet the Evergreen runtime from https://developer.microsoft.com/microsoft-edge/webview2/ and open Tokentray again.$\r$\n(The tray, the CLI and the helpers work without it.)" /SD IDOK
  webview2_found:
FunctionEnd

Section "Uninstall"
  ; A running program's file cannot be deleted on Windows: the tray and a daemon are stopped
  ; first (the engine survives being killed: a rotated refresh token is stored before use).
  nsExec::Exec 'taskkill /F /IM tokentray-desktop.exe'
  Pop $0
  nsExec::Exec 'taskkill /F /IM tokentray-full.exe'
  Pop $0
  Delete "$INSTDIR\tokentray.exe"
  Delete "$INSTDIR\tokentray-full.exe"
  Delete "$INSTDIR\tokentray-desktop.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\docker-credential-tokentray.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  ReadRegStr $0 HKCU "Environment" "Path"
  ${UnStrRep} $1 "$0" ";$INSTDIR" ""
  ${UnStrRep} $1 "$1" "$INSTDIR;" ""
  ${UnStrRep} $1 "$1" "$INSTDIR" ""
  WriteRegExpandStr HKCU "Environment" "Path" "$1"
  SendMessage ${HWND_BROADCAST} ${WM_WININICHANGE} 0 "STR:Environment" /TIMEOUT=500

  Delete "$SMPROGRAMS\Tokentray\Tokentray.lnk"
  RMDir "$SMPROGRAMS\Tokentray"
  DeleteRegValue HKCU "Software\Microsoft\Windows\CurrentVersion\Run" "Tokentray"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"

  ; The accounts, their history and the sealed secrets: only when the person says so.
  MessageBox MB_YESNO|MB_ICONQUESTION "Remove your Tokentray accounts and their history too?$\r$\n($APPDATA\tokentray)" /SD IDNO IDNO keep_data
    RMDir /r "$APPDATA\tokentray"
  keep_data:
SectionEnd
