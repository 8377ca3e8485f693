/* fork_threads ROUNDS: a program with 4 running threads (that keep
 * starting and ending short threads) forks ROUNDS times; each child starts
 * 2 threads, joins them and exits 0. Exits 0 if every child did; alarm(60)
 * turns a deadlock into death by SIGALRM. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;

static void *tiny(void *arg)
{
    (void)arg;
    volatile int s = 0;
    for (int i = 0; i < 10000; i++)
        s += i;
    return NULL;
}

static void *churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        pthread_t t;
        if (pthread_create(&t, NULL, tiny, NULL) == 0)
            pthread_join(t, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    alarm(60);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    int bad = 0;
    for (int r = 0; r < rounds; r++) {
        pid_t p = fork();
        if (p == 0) {
            pthread_t c[2];
            for (int i = 0; i < 2; i++)
                pthread_create(&c[i], NULL, tiny, NULL);
            for (int i = 0; i < 2; i++)
                pthread_join(c[i], NULL);
            exit(0);
        }
        int status;
        if (p < 0 || waitpid(p, &status, 0) != p || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            bad++;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    return bad ? 1 : 0;
}
