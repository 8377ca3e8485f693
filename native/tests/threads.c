/* threads N MODE: starts N CPU-busy threads (a fixed amount of work each).
 *   join          main joins them and returns 0
 *   c11           the same with C11 thrd_create and thrd_join
 *   running       main returns 0 while the threads still sleep
 *   thread-exit   one thread calls exit(4) while the others sleep
 *   main-exit     main calls pthread_exit; the last thread ends the process
 * Used by the collector tests and the benchmark (MODE join, N=4). */
#include <pthread.h>
#include <stdio.h>
#include <threads.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long work = 30000000;
static const char *mode = "join";

static void *busy(void *arg)
{
    volatile unsigned long s = 0;
    for (long i = 0; i < work; i++)
        s += (unsigned long)i ^ (s >> 3);
    long id = (long)arg;
    if (strcmp(mode, "running") == 0)
        pause();
    if (strcmp(mode, "thread-exit") == 0) {
        if (id == 0) {
            usleep(100000);
            exit(4);
        }
        pause();
    }
    return NULL;
}

static int busy_c11(void *arg)
{
    busy(arg);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    if (argc > 2)
        mode = argv[2];
    if (argc > 3)
        work = atol(argv[3]);
    pthread_t t[64];
    if (n > 64)
        n = 64;
    if (strcmp(mode, "c11") == 0) {
        thrd_t c[64];
        for (long i = 0; i < n; i++)
            if (thrd_create(&c[i], busy_c11, (void *)i) != thrd_success)
                return 2;
        for (int i = 0; i < n; i++)
            thrd_join(c[i], NULL);
        return 0;
    }
    for (long i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, busy, (void *)i) != 0)
            return 2;
    if (strcmp(mode, "running") == 0) {
        usleep(200000);
        return 0;
    }
    if (strcmp(mode, "main-exit") == 0)
        pthread_exit(NULL);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}
