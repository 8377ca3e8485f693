/* exec_chain N BURN_MS [failing-exec-target]: burns BURN_MS of CPU, then
 * (if N > 0) execs itself with N-1 and no burning, so one pid runs N+1
 * images. With a third argument, first tries to exec that file, which is
 * expected to fail, and goes on. The last image exits with 7. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void burn(long ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    volatile unsigned long s = 0;
    for (;;) {
        for (int i = 0; i < 100000; i++)
            s += (unsigned long)i;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
        if ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= ms)
            return;
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    burn(argc > 2 ? atol(argv[2]) : 0);
    if (argc > 3) {
        char *bad[] = {argv[3], NULL};
        execv(argv[3], bad);
    }
    if (n <= 0)
        return 7;
    char next[16];
    snprintf(next, sizeof next, "%d", n - 1);
    char *args[] = {argv[0], next, "0", NULL};
    execv("/proc/self/exe", args);
    return 99;
}
