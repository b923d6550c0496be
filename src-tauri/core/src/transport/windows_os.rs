//! The Windows calls the pipe needs that neither std nor tokio wraps: a pipe instance with a
//! DACL of our own, the client's process id, a process's image path and its parent. The only `unsafe`
//! in Tokentray (the workspace denies it everywhere else): each call is given buffers and
//! handles that outlive it, and every handle opened here is closed here.
#![allow(unsafe_code)]

use std::ffi::OsString;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::AsRawHandle;
use std::path::PathBuf;
use tokio::net::windows::named_pipe::{NamedPipeServer, ServerOptions};
use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::Foundation::{CloseHandle, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES};
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
