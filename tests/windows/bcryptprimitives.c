/* A stand-in for bcryptprimitives.dll, for Wine 8.0 only (Debian 12's): Rust's std since
 * 1.78 takes its random bytes from ProcessPrng there, which Wine gained in 8.13, so every Rust
 * program exits at once without it. Built by tests/windows.sh into the test prefix's system32;
 * never shipped (Windows 10 and 11 have the real one). */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
