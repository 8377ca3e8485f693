/* spawners: starts children the ways that do not go through fork():
 * vfork + execve, vfork + _exit, posix_spawn, system(). Exits 0 if each
 * child's status was as expected. */
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int status_of(pid_t p)
{
    int s;
    if (p <= 0 || waitpid(p, &s, 0) != p || !WIFEXITED(s))
        return -1;
    return WEXITSTATUS(s);
}

int main(void)
{
    int bad = 0;
    char *t[] = {"true", NULL};
    pid_t p = vfork();
    if (p == 0) {
        execve("/bin/true", t, environ);
        _exit(127);
    }
    bad += status_of(p) != 0;
    p = vfork();
    if (p == 0)
        _exit(3);
    bad += status_of(p) != 3;
    char *f[] = {"false", NULL};
    if (posix_spawn(&p, "/bin/false", NULL, NULL, f, environ) != 0)
        bad++;
    bad += status_of(p) != 1;
    int s = system("exit 4");
    bad += !WIFEXITED(s) || WEXITSTATUS(s) != 4;
    return bad;
}
