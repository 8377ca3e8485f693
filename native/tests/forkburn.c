/* forkburn MS: burns MS of CPU, forks a child that burns 2*MS, waits for
 * it. Each one's counters must hold its own time only. */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void burn(long ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    volatile unsigned long s = 0;
    for (;;) {
        for (int i = 0; i < 100000; i++)
            s += (unsigned long)i;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        if ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >=
            ms)
            return;
    }
}

int main(int argc, char **argv)
{
    long ms = argc > 1 ? atol(argv[1]) : 50;
    burn(ms);
    pid_t p = fork();
    if (p == 0) {
        burn(2 * ms);
        exit(0);
    }
    int status;
    waitpid(p, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
