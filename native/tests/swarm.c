/* swarm N: forks N children that all wait on one pipe; when the last is
 * forked the pipe is closed and they all exit at once (status i % 100),
 * so their records are written at the same moment. Exits 0 if every
 * child's status was right. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    int fds[2];
    if (pipe(fds) != 0)
        return 2;
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) {
            char c;
            close(fds[1]);
            while (read(fds[0], &c, 1) > 0)
                ;
            exit(i % 100);
        }
        pids[i] = p;
    }
    close(fds[1]);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int status;
        if (pids[i] <= 0 || waitpid(pids[i], &status, 0) != pids[i] ||
            !WIFEXITED(status) || WEXITSTATUS(status) != i % 100)
            bad++;
    }
    return bad ? 1 : 0;
}
