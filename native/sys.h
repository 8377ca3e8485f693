/*
 * System calls made directly, not through libc, and the few string helpers
 * we need. Nothing here goes through the PLT, so a fork child or a signal
 * handler never enters the dynamic linker, and there is no lazy binding to
 * pay for in every process. Each k_* returns what the kernel returns: a
 * value >= 0, or -errno (errno itself is left alone).
 */
#ifndef EPMT_SYS_H
#define EPMT_SYS_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>

#if defined(__x86_64__)
static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
                       "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#elif defined(__aarch64__)
static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}
#else
#include <errno.h>
#include <unistd.h>
static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
    int saved = errno;
    long r = syscall(n, a, b, c, d, e, f);
    if (r == -1) {
        r = -errno;
        errno = saved;
    }
    return r;
}
#endif

#define L(x) ((long)(x))

static inline int k_open(const char *path, int flags, int mode)
{
    return (int)sc6(SYS_openat, AT_FDCWD, L(path), flags, mode, 0, 0);
}
static inline long k_read(int fd, void *p, size_t n)
{
    return sc6(SYS_read, fd, L(p), L(n), 0, 0, 0);
}
static inline long k_write(int fd, const void *p, size_t n)
{
    return sc6(SYS_write, fd, L(p), L(n), 0, 0, 0);
}
static inline int k_close(int fd)
{
    return (int)sc6(SYS_close, fd, 0, 0, 0, 0, 0);
}
static inline pid_t k_getpid(void)
{
    return (pid_t)sc6(SYS_getpid, 0, 0, 0, 0, 0, 0);
}
static inline pid_t k_gettid(void)
{
    return (pid_t)sc6(SYS_gettid, 0, 0, 0, 0, 0, 0);
}
static inline pid_t k_getppid(void)
{
    return (pid_t)sc6(SYS_getppid, 0, 0, 0, 0, 0, 0);
}
static inline pid_t k_getpgid(void)
{
    return (pid_t)sc6(SYS_getpgid, 0, 0, 0, 0, 0, 0);
}
static inline pid_t k_getsid(void)
{
    return (pid_t)sc6(SYS_getsid, 0, 0, 0, 0, 0, 0);
}
static inline uid_t k_geteuid(void)
{
    return (uid_t)sc6(SYS_geteuid, 0, 0, 0, 0, 0, 0);
}
static inline int k_getrusage(int who, void *ru)
{
    return (int)sc6(SYS_getrusage, who, L(ru), 0, 0, 0, 0);
}
static inline long k_readlink(const char *path, char *buf, size_t n)
{
    return sc6(SYS_readlinkat, AT_FDCWD, L(path), L(buf), L(n), 0, 0);
}
static inline int k_linkat(int ofd, const char *old, int nfd, const char *new,
                           int flags)
{
    return (int)sc6(SYS_linkat, ofd, L(old), nfd, L(new), flags, 0);
}
static inline int k_unlink(const char *path)
{
    return (int)sc6(SYS_unlinkat, AT_FDCWD, L(path), 0, 0, 0, 0);
}
static inline int k_faccess(int dirfd, const char *path, int mode)
{
    return (int)sc6(SYS_faccessat, dirfd, L(path), mode, 0, 0, 0);
}
static inline long k_fcntl(int fd, int cmd, long arg)
{
    return sc6(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
}
static inline int k_ioctl(int fd, unsigned long req, void *arg)
{
    return (int)sc6(SYS_ioctl, fd, L(req), L(arg), 0, 0, 0);
}
static inline long k_lseek(int fd, long off, int whence)
{
    return sc6(SYS_lseek, fd, off, whence, 0, 0, 0);
}
static inline int k_fstat(int fd, void *sb)
{
    return (int)sc6(SYS_fstat, fd, L(sb), 0, 0, 0, 0);
}
static inline int k_ftruncate(int fd, long len)
{
    return (int)sc6(SYS_ftruncate, fd, len, 0, 0, 0, 0);
}
static inline void *k_mmap(size_t n)
{
    long r = sc6(SYS_mmap, 0, L(n), 3 /* PROT_READ|PROT_WRITE */,
                 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
    return r < 0 && r > -4096 ? NULL : (void *)r;
}
static inline void k_munmap(void *p, size_t n)
{
    sc6(SYS_munmap, L(p), L(n), 0, 0, 0, 0);
}
static inline int k_tgkill(pid_t pid, pid_t tid, int sig)
{
    return (int)sc6(SYS_tgkill, pid, tid, sig, 0, 0, 0);
}
/* The kernel's signal set is 64 bits, not glibc's 1024. */
static inline int k_sigmask(int how, const uint64_t *set, uint64_t *old)
{
    return (int)sc6(SYS_rt_sigprocmask, how, L(set), L(old), 8, 0, 0);
}
static inline void k_sleep_us(long us)
{
    long ts[2] = {us / 1000000, (us % 1000000) * 1000};
    sc6(SYS_nanosleep, L(ts), 0, 0, 0, 0, 0);
}
static inline int k_uname(void *u)
{
    return (int)sc6(SYS_uname, L(u), 0, 0, 0, 0, 0);
}
static inline int k_getrlimit(int res, void *rl)
{
    return (int)sc6(SYS_prlimit64, 0, res, 0, L(rl), 0, 0);
}
static inline long k_execve(const char *p, char *const *argv,
                            char *const *envp)
{
    return sc6(SYS_execve, L(p), L(argv), L(envp), 0, 0, 0);
}
static inline long k_execveat(int fd, const char *p, char *const *argv,
                              char *const *envp, int flags)
{
    return sc6(SYS_execveat, fd, L(p), L(argv), L(envp), flags, 0);
}
__attribute__((noreturn)) static inline void k_exit_group(int status)
{
    for (;;)
        sc6(SYS_exit_group, status, 0, 0, 0, 0, 0);
}

/* ---- strings, so that no libc string function is bound or called ------- */

static inline size_t s_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
static inline void m_copy(void *d, const void *s, size_t n)
{
    char *dd = d;
    const char *ss = s;
    while (n--)
        *dd++ = *ss++;
}
static inline void m_zero(void *d, size_t n)
{
    volatile char *dd = d; /* volatile: not turned into a memset call */
    while (n--)
        *dd++ = 0;
}
static inline int s_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}
/* a starts with the n bytes of b */
static inline int s_starts(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}
static inline const char *s_chr(const char *s, char c)
{
    for (; *s; s++)
        if (*s == c)
            return s;
    return NULL;
}
static inline const char *s_str(const char *hay, const char *needle)
{
    size_t n = s_len(needle);
    for (; *hay; hay++)
        if (*hay == *needle && s_starts(hay, needle, n))
            return hay;
    return NULL;
}

#endif
