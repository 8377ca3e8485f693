/* probe: prints what a program can see of its own process, so a test can
 * compare a run with the collector against one without: the disposition of
 * each signal, what signal()/sigset()/sigaction() hand back, errno after calls that
 * succeed, and its open file descriptors (before and after a thread). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void h(int sig) { (void)sig; }

static const char *disp(int sig)
{
    struct sigaction a;
    if (sigaction(sig, NULL, &a) != 0)
        return "error";
    if (a.sa_handler == SIG_DFL)
        return "default";
    if (a.sa_handler == SIG_IGN)
        return "ignored";
    return a.sa_handler == h ? "h" : "other";
}

static void fds(const char *when)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int dfd = dirfd(d);
    printf("fds %s:", when);
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == dfd)
            continue;
        char path[64], target[256];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        printf(" %d=%s", fd, target);
    }
    printf("\n");
    closedir(d);
}

static void *nothing(void *a) { return a; }

/* Deprecated, yet programs still call it, so the collector wraps it. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void (*old_sigset(int sig, void (*h)(int)))(int)
{
    return sigset(sig, h);
}

int main(void)
{
    for (int sig = 1; sig < 32; sig++)
        printf("signal %d %s\n", sig, disp(sig));
    errno = 1234;
    struct sigaction a;
    sigaction(SIGTERM, NULL, &a);
    printf("errno after sigaction %d flags %d\n", errno, a.sa_flags);
    printf("signal() gave back %s\n",
           signal(SIGTERM, h) == SIG_DFL ? "default" : "other");
    printf("now %s\n", disp(SIGTERM));
    printf("signal() gave back %s\n",
           signal(SIGTERM, SIG_DFL) == h ? "h" : "other");
    printf("now %s\n", disp(SIGTERM));
    signal(SIGINT, SIG_IGN);
    printf("SIGINT %s\n", disp(SIGINT));
    signal(SIGINT, SIG_DFL);
    printf("SIGINT %s\n", disp(SIGINT));
    printf("sigset() gave back %s\n",
           old_sigset(SIGUSR2, h) == SIG_DFL ? "default" : "other");
    printf("SIGUSR2 %s\n", disp(SIGUSR2));
    printf("sigset() gave back %s\n",
           old_sigset(SIGUSR2, SIG_DFL) == h ? "h" : "other");
    printf("SIGUSR2 %s\n", disp(SIGUSR2));
    fds("start");
    pthread_t t;
    errno = 4321;
    pthread_create(&t, NULL, nothing, NULL);
    printf("errno after pthread_create %d\n", errno);
    pthread_join(t, NULL);
    fds("after thread");
    return 0;
}
