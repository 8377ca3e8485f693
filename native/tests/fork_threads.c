/* fork_threads ROUNDS: a program with 4 running threads (that keep
 * starting and ending short threads) forks ROUNDS times; each child starts
 * 2 threads, joins them and exits 0. Exits 0 if every child did.
 *
 * A watchdog (alarm(120)) turns a deadlock into exit status 3, after
 * printing to stderr where every thread of this process and of the child
 * being waited for was: its /proc/<pid>/task/<tid>/syscall line (syscall
 * number, arguments, stack and instruction pointers) and wchan, so that a
 * rare hang seen once in CI says what it was. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;
static volatile sig_atomic_t round_now = -1, child_now = 0;

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

static void put(const char *s)
{
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

/* Appends the file at path to stderr, prefixed (at most 512 bytes). */
static void show_file(const char *label, const char *path)
{
    char buf[512];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    if (buf[n - 1] == '\n')
        buf[n - 1] = 0;
    put(label);
    put(buf);
    put("\n");
}

/* Every task of process pid: its syscall line and wchan. */
static void show_tasks(int pid)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", pid);
    DIR *d = opendir(dir); /* only in the watchdog, on the way out */
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[400], label[320];
        snprintf(label, sizeof label, "  pid %d tid %s syscall: ", pid,
                 e->d_name);
        snprintf(path, sizeof path, "%s/%s/syscall", dir, e->d_name);
        show_file(label, path);
        snprintf(label, sizeof label, "  pid %d tid %s wchan: ", pid,
                 e->d_name);
        snprintf(path, sizeof path, "%s/%s/wchan", dir, e->d_name);
        show_file(label, path);
    }
    closedir(d);
}

static void watchdog(int sig)
{
    (void)sig;
    char line[96];
    snprintf(line, sizeof line,
             "fork_threads: stuck after 120 s in round %d (child %d)\n",
             (int)round_now, (int)child_now);
    put(line);
    show_tasks(getpid());
    if (child_now > 0)
        show_tasks(child_now);
    _exit(3);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    signal(SIGALRM, watchdog);
    alarm(120);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    int bad = 0;
    for (int r = 0; r < rounds; r++) {
        round_now = r;
        child_now = 0;
        pid_t p = fork();
        if (p == 0) {
            pthread_t c[2];
            for (int i = 0; i < 2; i++)
                pthread_create(&c[i], NULL, tiny, NULL);
            for (int i = 0; i < 2; i++)
                pthread_join(c[i], NULL);
            exit(0);
        }
        child_now = p;
        int status;
        if (p < 0 || waitpid(p, &status, 0) != p || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            bad++;
    }
    round_now = -2;
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    return bad ? 1 : 0;
}
