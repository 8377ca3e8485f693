/* fork_after_threads N K: runs N short threads one after another, then
 * starts K threads that wait, then forks once. The child prints to stdout
 * how many perf counter fds it has ("child perf fds X") and exits 0; the
 * parent waits for it, lets the K threads end and exits 0. It forks once
 * the K threads run, so that under the collector each has its counter.
 *
 * Under the collector the parent has a record slot for each of its N + K + 1
 * threads and a counter fd for each running one. The child must neither
 * keep those fds nor copy those slots: the test reads the child's minor
 * page faults from its record, with N small and N large. */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int gate[2];
static atomic_int started;

static void *tiny(void *arg)
{
    return arg;
}

static void *waiter(void *arg)
{
    atomic_fetch_add(&started, 1);
    char c;
    ssize_t r = read(gate[0], &c, 1);
    (void)r;
    return arg;
}

static int perf_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t l = readlink(path, target, sizeof target - 1);
        if (l <= 0)
            continue;
        target[l] = 0;
        n += strcmp(target, "anon_inode:[perf_event]") == 0;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 0;
    int k = argc > 2 ? atoi(argv[2]) : 0;
    if (k > 64 || pipe(gate) != 0)
        return 2;
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, tiny, NULL) != 0 ||
            pthread_join(t, NULL) != 0)
            return 2;
    }
    pthread_t w[64];
    for (int i = 0; i < k; i++)
        if (pthread_create(&w[i], NULL, waiter, NULL) != 0)
            return 2;
    while (atomic_load(&started) < k) /* each has its counter by now */
        sched_yield();
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        printf("child perf fds %d\n", perf_fds());
        exit(0);
    }
    int status = -1;
    if (p < 0 || waitpid(p, &status, 0) != p)
        return 2;
    for (int i = 0; i < k; i++)
        if (write(gate[1], "x", 1) != 1)
            return 2;
    for (int i = 0; i < k; i++)
        pthread_join(w[i], NULL);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
