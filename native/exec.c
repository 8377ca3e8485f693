/*
 * The exec family. exec replaces the image without running exit handlers,
 * so the record of the image is written just before, and the next image of
 * the same pid learns through one environment variable (removed again at
 * its start-up) its generation, its start time and what the thread has
 * already been counted for (getrusage, /proc and schedstat keep counting
 * across exec, so the next image reports the difference).
 *
 * A fork child that has not started threads and then execs is the usual
 * way of starting a command: it is not written separately; its figures and
 * start time carry over to the image it execs, which is generation 0 (as
 * papiex). The same carrying happens when the exec is likely to fail (the
 * file is missing or not executable), so that a failing attempt does not
 * split one image into two records. If an exec we wrote for fails anyway,
 * the image goes on as the next generation.
 *
 * The perf counters of the exec'ing thread are handed over too, when the
 * next image is sure to load the collector with the same events (so no fd
 * is ever left behind in a program that does not know it): opening a
 * counter costs more than the rest of a fork and exec's bookkeeping.
 *
 * glibc's exec functions call the kernel directly, not through execve, so
 * each one is wrapped here. posix_spawn and system() start new processes,
 * whose images start fresh at generation 0; vfork children are not ours.
 */
#include "collector.h"

#include <elf.h>
#include <link.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* HANDOFF_VAR=pid:generation:start_us:[base0,...]:[fd.id.base,...] where
 * the last part has one fd.id.base (a counter), cBASE (a clock event) or -
 * per event; at most this long with n events. */
#define HANDOFF_MAX(n) (96 + M_COUNT * 21 + (n) * 64)

static const char *parse_num(const char *p, int64_t *out)
{
    int neg = *p == '-';
    p += neg;
    int64_t v = 0;
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0');
    *out = neg ? -v : v;
    return p;
}

/* Takes the counters part of a hand-over: "fd.id.base", "cBASE" or "-" per
 * event. */
static const char *take_counters(const char *p, int collecting)
{
    for (int i = 0; p && *p; i++) {
        if (i > 0) {
            if (*p != ',')
                return NULL;
            p++;
        }
        if (*p == '-') {
            p++;
            continue;
        }
        int64_t fd, id, base;
        if (*p == 'c') {
            p = parse_num(p + 1, &base);
            if (p && collecting && i < MAX_EVENTS)
                perf_adopt_clock(i, base);
            continue;
        }
        p = parse_num(p, &fd);
        if (p && *p == '.')
            p = parse_num(p + 1, &id);
        else
            return NULL;
        if (p && *p == '.')
            p = parse_num(p + 1, &base);
        else
            return NULL;
        if (p && i < MAX_EVENTS)
            perf_adopt(i, (int)fd, (uint64_t)id, base, collecting);
    }
    return p;
}

/* Removes the hand-over from the environment, in place (main's envp is the
 * same array). libc's unsetenv would take its lock, and touch two pages to
 * do so, in every process: at start-up the program has not run yet, so no
 * thread of its can be changing the environment. */
static void drop_handoff(void)
{
    static const char name[] = HANDOFF_VAR "=";
    char **w = environ;
    for (char **r = environ; r && *r; r++)
        if (!s_starts(*r, name, sizeof name - 1))
            *w++ = *r;
    if (w)
        *w = NULL;
}

int exec_take_handoff(int collecting, pid_t self)
{
    const char *v = env_value(E_HANDOFF);
    if (!v)
        return 0;
    int64_t pid = -1, gen = -1, start = 0, base[M_COUNT];
    int nbase = 0;
    const char *p = parse_num(v, &pid);
    int mine = p && pid == self;
    if (mine && *p == ':')
        p = parse_num(p + 1, &gen);
    if (p && *p == ':')
        p = parse_num(p + 1, &start);
    if (p && *p == ':' && p[1] != ':') {
        do
            p = parse_num(p + 1, &base[nbase++]);
        while (p && *p == ',' && nbase < M_COUNT);
    } else if (p && *p == ':')
        p++;
    mine = mine && p && gen >= 0;
    if (mine && !collecting) {
        if (*p == ':')
            take_counters(p + 1, 0);
        mine = 0;
    }
    if (mine) {
        st.generation = (int)gen;
        st.start_us = start;
        if (nbase == M_COUNT) {
            for (int k = 0; k < M_COUNT; k++)
                st.base[k] = (uint64_t)base[k];
            st.has_base = 1;
        }
        if (*p == ':')
            take_counters(p + 1, 1);
    }
    drop_handoff();
    return mine;
}

/* envp's value of `name` (with its '='), or NULL. */
static const char *env_in(char *const envp[], const char *name, size_t n)
{
    for (size_t i = 0; envp && envp[i]; i++)
        if (s_starts(envp[i], name, n))
            return envp[i] + n;
    return NULL;
}

/* PATH as execvp searches it (the caller's environment, not the new
 * program's), read without getenv: this runs between fork and exec, where
 * no libc function is called. */
static const char *search_path(void)
{
    const char *path = env_in(environ, "PATH=", 5);
    return path ? path : "/bin:/usr/bin";
}

/* The file execvp would run for `file`: the first executable one along
 * PATH (into buf), or file itself if it names a path. NULL if none. */
static const char *resolve(const char *file, char *buf, size_t cap)
{
    if (s_chr(file, '/'))
        return file;
    if (!*file)
        return NULL;
    const char *path = search_path();
    for (;;) {
        const char *end = s_chr(path, ':');
        size_t n = end ? (size_t)(end - path) : s_len(path);
        struct buf b = {buf, 0, cap - 1, 0};
        if (n == 0)
            put_str(&b, "./"); /* an empty entry is the current dir */
        else {
            put_mem(&b, path, n);
            put_str(&b, "/");
        }
        put_str(&b, file);
        buf[b.len] = 0;
        if (!b.overflow && k_faccess(AT_FDCWD, buf, X_OK) == 0)
            return buf;
        if (!end)
            return NULL;
        path = end + 1;
    }
}

/* Would exec of this (resolved) file probably work? Only cheap checks: an
 * executable file, starting like a program or a script where there is no
 * shell fallback (execve; execvp runs sh for other files). */
static int exec_likely(const char *file, int need_magic)
{
    if (!file || k_faccess(AT_FDCWD, file, X_OK) != 0)
        return 0;
    if (!need_magic)
        return 1;
    int fd = k_open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
    if (fd < 0)
        return 1; /* execute-only: cannot look, assume it is fine */
    unsigned char m[4];
    long n = k_read(fd, m, sizeof m);
    k_close(fd);
    return (n >= 2 && m[0] == '#' && m[1] == '!') ||
           (n == 4 && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' &&
            m[3] == 'F');
}

/* dl_iterate_phdr callback: the name of the loaded object holding our
 * code. */
static int find_us(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    if (!dl_is_us(info))
        return 0;
    *(const char **)arg = info->dlpi_name;
    return 1;
}

/* Our own file, as the loader was given it. Looked up before the first
 * fork (fork_prepare), so that fork children inherit it. */
const char *our_path(void)
{
    const char *name = NULL;
    if (!hot.our_path && dl_iterate_phdr(find_us, &name) && name && *name)
        hot.our_path = name;
    return hot.our_path;
}

/* The LD_PRELOAD list in `list` names our file. */
static int preloads_us(const char *list)
{
    const char *me = our_path();
    size_t n = me ? s_len(me) : 0;
    for (const char *p = list; n && p && *p; p++) {
        if (p != list && p[-1] != ':' && p[-1] != ' ')
            continue;
        if (s_starts(p, me, n) && (!p[n] || p[n] == ':' || p[n] == ' '))
            return 1;
    }
    return 0;
}

/* Is `file` a script or a dynamically linked program the loader will
 * preload into (not setuid, setgid or with file capabilities)? 1 yes, 0
 * no, -1 cannot tell (cannot read it). With sh_fallback, a file that is
 * neither is run by /bin/sh, so /bin/sh is what counts. */
static int loads_preload(const char *file, int sh_fallback)
{
    int fd = k_open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
    if (fd < 0)
        return -1;
    int ok = 0;
    struct stat sb;
    union {
        unsigned char b[1024];
        Elf64_Ehdr eh;
    } h;
    long n = k_read(fd, h.b, sizeof h.b);
    if (k_fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        !(sb.st_mode & (S_ISUID | S_ISGID)) &&
        sc6(SYS_fgetxattr, fd, L("security.capability"), 0, 0, 0, 0) < 0) {
        if (n >= 2 && h.b[0] == '#' && h.b[1] == '!')
            ok = 1;
        else if (n >= (long)sizeof h.eh && h.b[EI_MAG0] == ELFMAG0 &&
                 h.b[EI_MAG1] == ELFMAG1 && h.b[EI_MAG2] == ELFMAG2 &&
                 h.b[EI_MAG3] == ELFMAG3 && h.b[EI_CLASS] == ELFCLASS64 &&
                 h.eh.e_phentsize == sizeof(Elf64_Phdr)) {
            /* Dynamically linked: it has an interpreter (the loader). */
            for (unsigned i = 0; i < h.eh.e_phnum; i++) {
                uint64_t at = h.eh.e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
                if (at + sizeof(Elf64_Phdr) > (uint64_t)n)
                    break;
                Elf64_Phdr ph;
                m_copy(&ph, h.b + at, sizeof ph);
                if (ph.p_type == PT_INTERP)
                    ok = 1;
            }
        } else if (sh_fallback) {
            k_close(fd);
            return loads_preload("/bin/sh", 0);
        }
    }
    k_close(fd);
    return ok;
}

/* Will the next image run with the collector? 0: no (then it gets no
 * hand-over at all: a program we do not collect must not see our variable
 * or our fds); 1: yes, with other options or a file we cannot read (the
 * hand-over, but not the counters); 2: yes, counting the same events. */
static int next_image(const char *file, int search, char *const envp[])
{
    const char *pre = env_in(envp, "LD_PRELOAD=", 11);
    const char *opt = env_in(envp, "PAPIEX_OPTIONS=", 15);
    if (!pre || !opt || !*opt || !preloads_us(pre))
        return 0;
    int loads = file ? loads_preload(file, search) : -1;
    if (loads == 0)
        return 0;
    return loads > 0 && s_eq(opt, cfg.options) ? 2 : 1;
}

/* The counters part of the hand-over, with the fds made to survive exec:
 * returns 1 if any was handed over (to be undone if exec fails). */
static int hand_counters(struct buf *b, struct slot *me)
{
    int any = 0;
    put_str(b, ":");
    for (int i = 0; i < cfg.nevents; i++) {
        if (i)
            put_str(b, ",");
        /* Since the last written image: what the next one starts from. */
        int64_t base = me->ev[i] >= 0 ? me->ev[i] : me->evbase[i];
        if (cfg.events[i].clock) {
            put_str(b, "c"); /* the clock goes on across exec */
            put_i64(b, base);
            continue;
        }
        int fd = me->evfd[i];
        if (fd < 0 || k_fcntl(fd, F_SETFD, 0) != 0) {
            put_str(b, "-");
            continue;
        }
        put_i64(b, fd);
        put_str(b, ".");
        put_u64(b, me->evid[i]);
        put_str(b, ".");
        put_i64(b, base);
        any = 1;
    }
    return any;
}

static void keep_counters_private(struct slot *me)
{
    for (int i = 0; me && i < cfg.nevents; i++)
        if (me->evfd[i] >= 0)
            k_fcntl(me->evfd[i], F_SETFD, FD_CLOEXEC);
}

/* What before_exec did, for after_failed_exec to undo. */
struct exec_state {
    int wrote;    /* this image's record was written */
    int handed;   /* counter fds were made to survive exec */
};

/* Before an exec (collector_active() checked): writes the record when this
 * image is to be reported on its own, and prepares the hand-over into
 * `handoff` (empty: none). file is NULL for fexecve/execveat, whose file we
 * do not look at. */
static struct exec_state before_exec(char *handoff, const char *file,
                                     int search, int need_magic,
                                     char *const envp[])
{
    struct exec_state x = {0, 0};
    handoff[0] = 0;
    char found[search ? PATH_MAX : 1];
    const char *path = !file ? NULL
                       : search ? resolve(file, found, sizeof found)
                                : file;
    uint64_t base[M_COUNT];
    struct slot *me = my_slot;
    int carry = st.forked && threads_count() <= 1;
    int gen = st.generation;
    int64_t start = st.start_us;
    int have = 0;
    if (!carry && (!file || exec_likely(path, need_magic)) &&
        record_process(WHY_EXEC, 0)) {
        x.wrote = 1;
        gen++;
        start = st.end_us;
        have = 1;
        for (int k = 0; k < M_COUNT; k++)
            base[k] = metric_is_process_scope(k) ? st.pscope[k]
                      : me                       ? me->m[k]
                                                 : 0;
    } else {
        /* Not written: the next image reports all since this one began. */
        have = st.has_base || (me && me->has_base);
        for (int k = 0; k < M_COUNT; k++)
            base[k] = metric_is_process_scope(k)
                          ? (st.has_base ? st.base[k] : 0)
                          : (me && me->has_base ? me->base[k] : 0);
        if (me)
            for (int i = 0; i < cfg.nevents; i++)
                me->ev[i] = -1; /* hand over evbase, not a reading */
    }
    int next = next_image(path, search, envp);
    if (next == 0)
        return x;
    struct buf b = {handoff, 0, HANDOFF_MAX(cfg.nevents) - 1, 0};
    put_str(&b, HANDOFF_VAR "=");
    put_i64(&b, st.pid);
    put_str(&b, ":");
    put_i64(&b, gen);
    put_str(&b, ":");
    put_i64(&b, start);
    put_str(&b, ":");
    for (int k = 0; have && k < M_COUNT; k++) {
        if (k)
            put_str(&b, ",");
        put_u64(&b, base[k]);
    }
    if (me && next == 2 && cfg.nevents)
        x.handed = hand_counters(&b, me);
    if (b.overflow) {
        handoff[0] = 0;
        if (x.handed)
            keep_counters_private(me);
        x.handed = 0;
    } else
        handoff[b.len] = 0;
    return x;
}

/* The exec returned, so it failed: take the counters back, and if we wrote
 * for it, go on as the next generation. */
static void after_failed_exec(struct exec_state x)
{
    if (x.handed)
        keep_counters_private(my_slot);
    if (!x.wrote)
        return;
    st.generation++;
    st.start_us = st.end_us;
    for (int k = 0; k < M_COUNT; k++)
        if (metric_is_process_scope(k))
            st.base[k] = st.pscope[k];
    st.has_base = 1;
    threads_rebase(st.end_us);
    atomic_store(&st.written, 0);
}

/* envp (n entries) plus the hand-over (replacing any old one), in `space`
 * if it has room for `cap` pointers, else in mmap'd memory (*mapped bytes)
 * that the caller unmaps if exec returns; NULL if there is nothing to add. */
#define ENV_ON_STACK 1024
static char **with_handoff(char *const envp[], size_t n, char *handoff,
                           char **space, size_t cap, size_t *mapped)
{
    *mapped = 0;
    if (!handoff[0])
        return NULL;
    char **env = space;
    if (n + 2 > cap) {
        *mapped = (n + 2) * sizeof(char *);
        if (!(env = k_mmap(*mapped)))
            return NULL;
    }
    size_t k = 0, name = sizeof HANDOFF_VAR - 1;
    for (size_t i = 0; i < n; i++)
        if (!s_starts(envp[i], HANDOFF_VAR "=", name + 1))
            env[k++] = envp[i];
    env[k++] = handoff;
    env[k] = NULL;
    return env;
}

/* execvpe as glibc does it (the p variants search PATH, skip directories
 * that do not work, run a file that is not a program with /bin/sh), done
 * here so that no libc function is needed between fork and exec. */
static int search_exec(const char *file, char *const argv[],
                       char *const envp[])
{
    char cand[PATH_MAX];
    int eacces = 0;
    long r = -ENOENT;
    if (!*file) {
        errno = ENOENT;
        return -1;
    }
    const char *path = s_chr(file, '/') ? NULL : search_path();
    for (;;) {
        const char *try = file;
        const char *end = NULL;
        if (path) {
            end = s_chr(path, ':');
            size_t n = end ? (size_t)(end - path) : s_len(path);
            struct buf b = {cand, 0, sizeof cand - 1, 0};
            put_mem(&b, n ? path : ".", n ? n : 1);
            put_str(&b, "/");
            put_str(&b, file);
            cand[b.len] = 0;
            try = b.overflow ? NULL : cand;
        }
        if (try) {
            r = k_execve(try, argv, envp);
            if (r == -ENOEXEC) {
                /* sh FILE ARGS...: argv[0] gives way to the file. An
                 * empty argv (or none) still needs room for sh, the file
                 * and the terminating NULL. */
                size_t argc = 0;
                while (argv && argv[argc])
                    argc++;
                char *sh[argc + 3];
                size_t k = 0;
                sh[k++] = "/bin/sh";
                sh[k++] = (char *)try;
                for (size_t i = 1; i < argc; i++)
                    sh[k++] = argv[i];
                sh[k] = NULL;
                r = k_execve("/bin/sh", sh, envp);
            }
            if (r == -EACCES)
                eacces = 1;
            else if (r != -ENOENT && r != -ESTALE && r != -ENOTDIR &&
                     r != -ENODEV && r != -ETIMEDOUT)
                break;
        }
        if (!path || !end)
            break;
        path = end + 1;
    }
    errno = eacces ? EACCES : (int)-r;
    return -1;
}

enum how { BY_PATH, BY_SEARCH, BY_AT };

/* The kernel call, or glibc's PATH search; sets errno (exec only returns
 * on failure). */
static int do_exec(enum how how, int dirfd, const char *file,
                   char *const argv[], char *const envp[], int flags)
{
    if (how == BY_SEARCH)
        return search_exec(file, argv, envp);
    long k = how == BY_AT ? k_execveat(dirfd, file, argv, envp, flags)
                          : k_execve(file, argv, envp);
    errno = (int)-k;
    return -1;
}

/* One path for all: the exec with the hand-over added, then the
 * bookkeeping if it returns. Usually in a fork child, where every stack
 * page written is a copy-on-write fault (2 us): the buffers are sized to
 * this call (the hand-over to its events, the environment to its length),
 * not to the worst case. */
static int run_exec(enum how how, int dirfd, const char *file,
                    char *const argv[], char *const envp[], int flags)
{
    if (!collector_active())
        return do_exec(how, dirfd, file, argv, envp, flags);
    size_t n = 0, mapped = 0;
    while (envp && envp[n])
        n++;
    char handoff[HANDOFF_MAX(cfg.nevents)];
    char *space[n + 2 <= ENV_ON_STACK ? n + 2 : 1];
    struct exec_state x =
        how == BY_AT ? before_exec(handoff, NULL, 0, 0, envp)
                     : before_exec(handoff, file, how == BY_SEARCH,
                                   how == BY_PATH, envp);
    char **env = with_handoff(envp, n, handoff, space,
                              sizeof space / sizeof space[0], &mapped);
    int r = do_exec(how, dirfd, file, argv, env ? env : envp, flags);
    int e = errno;
    if (mapped)
        k_munmap(env, mapped);
    after_failed_exec(x);
    errno = e;
    return r;
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    return run_exec(BY_PATH, AT_FDCWD, path, argv, envp, 0);
}

EXPORT int execv(const char *path, char *const argv[])
{
    return run_exec(BY_PATH, AT_FDCWD, path, argv, environ, 0);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    return run_exec(BY_SEARCH, AT_FDCWD, file, argv, envp, 0);
}

EXPORT int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[],
                    char *const envp[], int flags)
{
    return run_exec(BY_AT, dirfd, path, argv, envp, flags);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    return run_exec(BY_AT, fd, "", argv, envp, AT_EMPTY_PATH);
}

/* The list forms: gather the arguments, then as the vector forms. */
#define GATHER(first, ap, argv, extra)                                      \
    size_t n_ = 1;                                                          \
    va_start(ap, first);                                                    \
    while (va_arg(ap, char *))                                              \
        n_++;                                                               \
    va_end(ap);                                                             \
    char *argv[n_ + 1];                                                     \
    argv[0] = (char *)(first);                                              \
    va_start(ap, first);                                                    \
    for (size_t i_ = 1; i_ <= n_; i_++)                                     \
        argv[i_] = va_arg(ap, char *);                                      \
    extra;                                                                  \
    va_end(ap)

EXPORT int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    GATHER(arg, ap, argv, (void)0);
    return execv(path, argv);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    GATHER(arg, ap, argv, (void)0);
    return execvp(file, argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    char **envp;
    GATHER(arg, ap, argv, envp = va_arg(ap, char **));
    return execve(path, argv, envp);
}
