/* forkers MODE: children that come from fork handlers' and daemon()'s
 * ways of forking.
 *   handler: registers a child fork handler (pthread_atfork) that sets
 *     SIGUSR1 back to its default, then forks; the child kills itself with
 *     SIGUSR1. Exits 0 if the child died of it.
 *   forkpty: forks through forkpty(); the child exits 6. Exits 0 if it did.
 *   daemon: daemon(1, 1); the daemon (the child) exits 5 once its parent
 *     has gone, which exits 0 at once. */
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void default_usr1(void)
{
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_handler = SIG_DFL;
    sigaction(SIGUSR1, &a, NULL);
}

static int status_of(pid_t p)
{
    int s;
    return p > 0 && waitpid(p, &s, 0) == p ? s : -1;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (strcmp(m, "handler") == 0) {
        pthread_atfork(NULL, NULL, default_usr1);
        pid_t p = fork();
        if (p == 0) {
            raise(SIGUSR1);
            _exit(1);
        }
        int s = status_of(p);
        return WIFSIGNALED(s) && WTERMSIG(s) == SIGUSR1 ? 0 : 1;
    }
    if (strcmp(m, "forkpty") == 0) {
        int master;
        pid_t p = forkpty(&master, NULL, NULL, NULL);
        if (p == 0)
            _exit(6);
        int s = status_of(p);
        return WIFEXITED(s) && WEXITSTATUS(s) == 6 ? 0 : 1;
    }
    if (strcmp(m, "daemon") == 0) {
        pid_t parent = getpid();
        if (daemon(1, 1) != 0)
            return 1;
        while (getppid() == parent) {
            struct timespec t = {0, 1000000};
            nanosleep(&t, NULL);
        }
        return 5;
    }
    return 2;
}
