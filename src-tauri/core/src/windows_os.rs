//! The Windows calls the pipe needs that neither std nor tokio wraps: a pipe instance with a
//! DACL of our own, the client's process id, a process's image path, command line and parent;
//! and who a file's DACL lets in (a private key must be its owner's alone).
//! The only `unsafe`
//! in Tokentray (the workspace denies it everywhere else): each call is given buffers and
//! handles that outlive it, and every handle opened here is closed here.
#![allow(unsafe_code)]

use std::ffi::OsString;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::AsRawHandle;
use std::path::PathBuf;
use tokio::net::windows::named_pipe::{NamedPipeServer, ServerOptions};
use windows_sys::Wdk::System::Threading::{
    NtQueryInformationProcess, ProcessCommandLineInformation,
};
use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, UNICODE_STRING};
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, GetNamedSecurityInfoW, SDDL_REVISION_1,
    SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    GetAce, IsWellKnownSid, WinAnonymousSid, WinAuthenticatedUserSid, WinBuiltinGuestsSid,
    WinBuiltinUsersSid, WinInteractiveSid, WinNetworkSid, WinWorldSid, ACCESS_ALLOWED_ACE, ACL,
    DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES,
};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, Process32FirstW, Process32NextW, PROCESSENTRY32W, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Pipes::GetNamedPipeClientProcessId;
use windows_sys::Win32::System::Threading::{
    OpenProcess, QueryFullProcessImageNameW, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
};

/// A protected DACL with one entry: full access for the object's owner (OW, "owner rights"),
/// the user who made it. Nobody else, not even Everyone's read access a pipe has by default.
const OWNER_ONLY: &str = "D:P(A;;GA;;;OW)";

/// An instance of the pipe `name` that only this user can open, rejecting remote clients.
pub fn private_pipe(name: &str, first: bool) -> std::io::Result<NamedPipeServer> {
    let sddl: Vec<u16> = std::ffi::OsStr::new(OWNER_ONLY)
        .encode_wide()
        .chain(Some(0))
        .collect();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `sddl` is a NUL-terminated UTF-16 string alive for the call; on success the
    // function allocates `descriptor` with LocalAlloc, freed below.
    let made = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            std::ptr::null_mut(),
        )
    };
    if made == 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut attributes = SECURITY_ATTRIBUTES {
        nLength: u32::try_from(std::mem::size_of::<SECURITY_ATTRIBUTES>()).unwrap_or(u32::MAX),
        lpSecurityDescriptor: descriptor,
        bInheritHandle: 0,
    };
    let mut options = ServerOptions::new();
    options
        .first_pipe_instance(first)
        .reject_remote_clients(true);
    // SAFETY: `attributes` and the descriptor it points to are valid for the call, which
    // copies what it needs into the pipe's kernel object.
    let pipe = unsafe {
        options.create_with_security_attributes_raw(
            name,
            (&mut attributes as *mut SECURITY_ATTRIBUTES).cast(),
        )
    };
    // SAFETY: allocated by the conversion above, used by nothing from here on.
    unsafe { LocalFree(descriptor) };
    pipe
}

/// The process id of the client connected to `pipe`.
pub fn client_pid(pipe: &NamedPipeServer) -> std::io::Result<u32> {
    let mut pid = 0u32;
    // SAFETY: the handle is the live server end `pipe` borrows; `pid` outlives the call.
    let ok = unsafe { GetNamedPipeClientProcessId(pipe.as_raw_handle(), &mut pid) };
    if ok == 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(pid)
}

/// The program process `pid` runs, when this user may ask.
pub fn process_image(pid: u32) -> Option<PathBuf> {
    // SAFETY: a plain call; the handle it returns is closed below.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        return None;
    }
    let mut buffer = vec![0u16; 32 * 1024];
    let mut len = u32::try_from(buffer.len()).unwrap_or(u32::MAX);
    // SAFETY: `buffer` holds `len` UTF-16 units and outlives the call, which writes at most
    // that many and says how many in `len`.
    let ok = unsafe {
        QueryFullProcessImageNameW(process, PROCESS_NAME_WIN32, buffer.as_mut_ptr(), &mut len)
    };
    // SAFETY: opened above, closed once.
    unsafe { CloseHandle(process) };
    if ok == 0 {
        return None;
    }
    buffer.truncate(usize::try_from(len).unwrap_or(0));
    Some(PathBuf::from(OsString::from_wide(&buffer)))
}

/// The command line process `pid` was started with (Windows 8.1 and later), when this user
/// may ask: one string, which the program splits itself.
pub fn process_command_line(pid: u32) -> Option<String> {
    // SAFETY: a plain call; the handle it returns is closed below.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        return None;
    }
    // A UNICODE_STRING followed by its text (at most 32767 characters on Windows), in a
    // buffer aligned for the pointer the struct holds.
    let mut buffer = vec![0u64; 8 * 1024 + 4];
    let size = u32::try_from(buffer.len() * 8).unwrap_or(u32::MAX);
    let mut written = 0u32;
    // SAFETY: `buffer` is `size` bytes, aligned, and outlives the call, which writes at most
    // that many; the handle is the live one opened above.
    let status = unsafe {
        NtQueryInformationProcess(
            process,
            ProcessCommandLineInformation,
            buffer.as_mut_ptr().cast(),
            size,
            &mut written,
        )
    };
    // SAFETY: opened above, closed once.
    unsafe { CloseHandle(process) };
    if status < 0 {
        return None;
    }
    // SAFETY: on success the buffer starts with a UNICODE_STRING (the buffer is aligned for it).
    let line: UNICODE_STRING = unsafe { std::ptr::read(buffer.as_ptr().cast()) };
    let start = buffer.as_ptr() as usize;
    let text = line.Buffer as usize;
    let units = usize::from(line.Length) / 2;
    // Its text must lie inside the buffer, as the call puts it; anything else is not read.
    let inside = text >= start + std::mem::size_of::<UNICODE_STRING>()
        && text % 2 == 0
        && text + units * 2 <= start + buffer.len() * 8;
    if !inside {
        return None;
    }
    // SAFETY: `units` UTF-16 units at `text`, checked above to lie inside `buffer`, alive here.
    let wide = unsafe { std::slice::from_raw_parts(line.Buffer.cast_const(), units) };
    Some(String::from_utf16_lossy(wide))
}

/// The process that started process `pid`, from a snapshot of the process table (Windows keeps
/// the parent's id even after the parent ended, and may reuse it: the caller bounds its walk).
pub fn parent_pid(pid: u32) -> Option<u32> {
    // SAFETY: a plain call; the snapshot handle it returns is closed below.
    let snapshot = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) };
    if snapshot == INVALID_HANDLE_VALUE || snapshot.is_null() {
        return None;
    }
    let mut entry = PROCESSENTRY32W {
        dwSize: u32::try_from(std::mem::size_of::<PROCESSENTRY32W>()).unwrap_or(u32::MAX),
        ..Default::default()
    };
    let mut parent = None;
    // SAFETY: `entry` is a PROCESSENTRY32W with its size set, alive across the calls, which
    // fill it one process at a time.
    let mut more = unsafe { Process32FirstW(snapshot, &mut entry) } != 0;
    while more {
        if entry.th32ProcessID == pid {
            parent = Some(entry.th32ParentProcessID).filter(|p| *p != 0 && *p != pid);
            break;
        }
        // SAFETY: as above.
        more = unsafe { Process32NextW(snapshot, &mut entry) } != 0;
    }
    // SAFETY: opened above, closed once.
    unsafe { CloseHandle(snapshot) };
    parent
}

/// Who besides its owner a file's DACL lets read or write it: the broad groups an entry grants
/// (Everyone, Users, Authenticated Users, …), or "Everyone" for a DACL that is missing (which
/// lets everyone in). Empty when the file is its owner's (with SYSTEM and Administrators, as
/// every file in a profile is). An error when the DACL cannot be read.
pub fn others_let_in(path: &std::path::Path) -> std::io::Result<Vec<&'static str>> {
    const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
    // FILE_READ_DATA, FILE_WRITE_DATA, FILE_APPEND_DATA, GENERIC_ALL, GENERIC_WRITE, GENERIC_READ.
    const READ_OR_WRITE: u32 = 0x1 | 0x2 | 0x4 | 0x1000_0000 | 0x4000_0000 | 0x8000_0000;
    let groups = [
        (WinWorldSid, "Everyone"),
        (WinBuiltinUsersSid, "Users"),
        (WinAuthenticatedUserSid, "Authenticated Users"),
        (WinInteractiveSid, "Interactive"),
        (WinNetworkSid, "Network"),
        (WinAnonymousSid, "Anonymous"),
        (WinBuiltinGuestsSid, "Guests"),
    ];
    let wide: Vec<u16> = path.as_os_str().encode_wide().chain(Some(0)).collect();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `wide` is a NUL-terminated UTF-16 path alive for the call; `dacl` points into
    // `descriptor`, which the call allocates with LocalAlloc and which is freed below.
    let status = unsafe {
        GetNamedSecurityInfoW(
            wide.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    if status != 0 {
        return Err(std::io::Error::from_raw_os_error(
            i32::try_from(status).unwrap_or(i32::MAX),
        ));
    }
    let mut found = Vec::new();
    if dacl.is_null() {
        found.push("Everyone");
    } else {
        // SAFETY: a non-null DACL from the call, alive until the descriptor is freed.
        let count = unsafe { (*dacl).AceCount };
        for index in 0..u32::from(count) {
            let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
            // SAFETY: `index` is below the DACL's AceCount; `ace` then points into the DACL.
            if unsafe { GetAce(dacl, index, &mut ace) } == 0 || ace.is_null() {
                continue;
            }
            let allowed = ace.cast::<ACCESS_ALLOWED_ACE>();
            // SAFETY: every ACE starts with its header; an ACCESS_ALLOWED_ACE (type 0) has
            // its mask after it and its SID at SidStart, inside the ACE.
            let (kind, mask) = unsafe { ((*allowed).Header.AceType, (*allowed).Mask) };
            if kind != ACCESS_ALLOWED_ACE_TYPE || mask & READ_OR_WRITE == 0 {
                continue;
            }
            // SAFETY: as above: the SID lies at SidStart inside the ACE.
            let sid = unsafe { std::ptr::addr_of_mut!((*allowed).SidStart) }.cast();
            for (kind, name) in groups {
                // SAFETY: `sid` is the ACE's SID, alive until the descriptor is freed.
                if unsafe { IsWellKnownSid(sid, kind) } != 0 && !found.contains(&name) {
                    found.push(name);
                }
            }
        }
    }
    // SAFETY: allocated by GetNamedSecurityInfoW, used by nothing from here on.
    unsafe { LocalFree(descriptor) };
    Ok(found)
}
