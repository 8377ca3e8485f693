/*
 * Fork children are set up by a fork handler (core.c's fork_prepare and
 * fork_child), which glibc runs in every fork it makes: fork(), and
 * internally daemon(), forkpty() and, before 2.29, system() and popen().
 *
 * Registering the handler touches two pages of libc's that a process that
 * never forks would not touch (3-4 us), and most processes of a job never
 * fork. So it is registered on first need, by whichever comes first: the
 * program's first fork(), daemon() or forkpty(), or the first fork handler
 * the program itself registers (pthread_atfork calls __register_atfork).
 * Ours is thus still the first handler, and runs first in a child, so that
 * the program's own child handlers already see the child collected.
 */
#include "collector.h"

#include <errno.h>
#include <pty.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

typedef int (*register_fn)(void (*)(void), void (*)(void), void (*)(void),
                           void *);

enum { AF_NONE, AF_REGISTERING, AF_DONE };

static register_fn real_register(void)
{
    if (!hot.real_register)
        hot.real_register = dlsym_next("__register_atfork");
    return (register_fn)hot.real_register;
}

/* Ours registered (once; a thread that loses the race waits for it, a
 * while: a child made by _Fork while another thread registered would
 * otherwise wait forever). */
static void need_fork_handler(void)
{
    if (!atomic_load_explicit(&collector_on, memory_order_acquire) ||
        atomic_load(&hot.atfork) == AF_DONE)
        return;
    int e = errno, expect = AF_NONE;
    if (atomic_compare_exchange_strong(&hot.atfork, &expect,
                                       AF_REGISTERING)) {
        register_fn reg = real_register();
        if (reg)
            reg(fork_prepare, NULL, fork_child, NULL);
        atomic_store(&hot.atfork, AF_DONE);
    }
    for (int t = 0; t < 100000 && atomic_load(&hot.atfork) != AF_DONE; t++)
        sched_yield();
    errno = e;
}

EXPORT int __register_atfork(void (*prepare)(void), void (*parent)(void),
                             void (*child)(void), void *dso)
{
    need_fork_handler();
    register_fn reg = real_register();
    return reg ? reg(prepare, parent, child, dso) : -1;
}

/* libc's (or libutil's) function of that name, looked up once. */
static void *real(void **cache, const char *name)
{
    if (!*cache)
        *cache = dlsym_next(name);
    if (!*cache)
        errno = ENOSYS;
    return *cache;
}

EXPORT pid_t fork(void)
{
    need_fork_handler();
    pid_t (*f)(void) = (pid_t(*)(void))real(&hot.real_fork, "fork");
    return f ? f() : -1;
}

/* daemon(): libc's ends the calling process with its internal _exit, past
 * ours, so that process would leave no record. While collecting, the same
 * steps are taken here, through fork() and _exit() (which write the
 * records): fork; the parent exits 0; the child makes a new session,
 * changes to / unless nochdir, and unless noclose puts /dev/null (checked
 * to be the null device, else ENODEV) on fds 0, 1 and 2. */
EXPORT int daemon(int nochdir, int noclose)
{
    need_fork_handler();
    if (!collector_active()) {
        int (*f)(int, int) =
            (int (*)(int, int))real(&hot.real_daemon, "daemon");
        return f ? f(nochdir, noclose) : -1;
    }
    pid_t p = fork();
    if (p < 0)
        return -1;
    if (p > 0)
        _exit(0);
    long r = sc6(SYS_setsid, 0, 0, 0, 0, 0, 0);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    if (!nochdir)
        sc6(SYS_chdir, L("/"), 0, 0, 0, 0, 0);
    if (noclose)
        return 0;
    int fd = k_open("/dev/null", O_RDWR, 0);
    if (fd < 0) {
        errno = -fd;
        return -1;
    }
    struct stat sb;
    int f = k_fstat(fd, &sb);
    if (f < 0 || !S_ISCHR(sb.st_mode) || sb.st_rdev != makedev(1, 3)) {
        k_close(fd);
        errno = f < 0 ? -f : ENODEV;
        return -1;
    }
    for (int t = 0; t <= 2; t++)
        if (fd != t)
            sc6(SYS_dup3, fd, t, 0, 0, 0, 0);
    if (fd > 2)
        k_close(fd);
    return 0;
}

typedef pid_t (*forkpty_fn)(int *, char *, const struct termios *,
                            const struct winsize *);

EXPORT pid_t forkpty(int *amaster, char *name, const struct termios *termp,
                     const struct winsize *winp)
{
    need_fork_handler();
    forkpty_fn f = (forkpty_fn)real(&hot.real_forkpty, "forkpty");
    return f ? f(amaster, name, termp, winp) : -1;
}
