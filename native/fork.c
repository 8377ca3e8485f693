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

EXPORT int daemon(int nochdir, int noclose)
{
    need_fork_handler();
    int (*f)(int, int) = (int (*)(int, int))real(&hot.real_daemon, "daemon");
    return f ? f(nochdir, noclose) : -1;
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
