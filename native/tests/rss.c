/* rss MIB [HOW ...]: touches MIB MiB of fresh memory, kept resident until
 * the end, then HOW:
 *   (none)                    returns 0
 *   exec PROG ARGS...         execs PROG: same pid, the next image
 *   fork PROG ARGS...         fork, the child execs PROG; waits
 *   spawn PROG ARGS...        posix_spawn (vfork-like: the child shares our
 *                             memory until its exec); waits
 *   forkonly CHILD_MIB        gives its memory back, then forks a child that
 *                             touches CHILD_MIB MiB and exits (no exec); waits
 *   threads T_MIB             three threads: one ends at once, one touches
 *                             T_MIB MiB and ends, one still sleeps when main
 *                             returns
 * For the rssmax tests: what each image reports must be its own peak, not
 * what an earlier image or the parent had. Exits 0, or 1 if a step failed. */
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static size_t touched_len;

static void *touch(long mib)
{
    if (mib <= 0)
        return NULL;
    size_t len = (size_t)mib << 20;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        exit(1);
    for (size_t i = 0; i < len; i += 4096)
        p[i] = 1;
    touched_len = len;
    return p;
}

static int waited(pid_t p)
{
    int s;
    return p > 0 && waitpid(p, &s, 0) == p && WIFEXITED(s) &&
                   WEXITSTATUS(s) == 0
               ? 0
               : 1;
}

static void *quick(void *arg)
{
    return arg;
}

static void *grow(void *arg)
{
    touch((long)arg);
    return NULL;
}

static volatile int asleep;

static void *sleeper(void *arg)
{
    (void)arg;
    asleep = 1;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 1;
    void *mem = touch(atol(argv[1]));
    if (argc < 3)
        return 0;
    const char *how = argv[2];
    char **rest = argv + 3;
    if (strcmp(how, "exec") == 0 && rest[0]) {
        execv(rest[0], rest);
        return 1;
    }
    if (strcmp(how, "fork") == 0 && rest[0]) {
        pid_t p = fork();
        if (p == 0) {
            execv(rest[0], rest);
            _exit(1);
        }
        return waited(p);
    }
    if (strcmp(how, "spawn") == 0 && rest[0]) {
        pid_t p;
        if (posix_spawn(&p, rest[0], NULL, NULL, rest, environ) != 0)
            return 1;
        return waited(p);
    }
    if (strcmp(how, "forkonly") == 0 && rest[0]) {
        if (mem)
            munmap(mem, touched_len);
        pid_t p = fork();
        if (p == 0) {
            touch(atol(rest[0]));
            exit(0);
        }
        return waited(p);
    }
    if (strcmp(how, "threads") == 0 && rest[0]) {
        pthread_t a, b, c;
        if (pthread_create(&a, NULL, quick, NULL) != 0 ||
            pthread_join(a, NULL) != 0)
            return 1;
        if (pthread_create(&b, NULL, grow, (void *)atol(rest[0])) != 0 ||
            pthread_join(b, NULL) != 0)
            return 1;
        if (pthread_create(&c, NULL, sleeper, NULL) != 0)
            return 1;
        while (!asleep) /* running, so that it is read at exit */
            usleep(1000);
        return 0;
    }
    return 1;
}
