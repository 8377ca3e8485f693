/* crash MODE: ends the process one particular way.
 *   segv | abort | fpe-raise | _exit5 | quick_exit6 | own-term (own SIGTERM
 *   handler that exits 9, then raise(SIGTERM)) | wait-term (say "ready",
 *   then pause until a signal comes) */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void own(int sig)
{
    (void)sig;
    exit(9);
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (strcmp(m, "segv") == 0)
        *(volatile int *)(long)argc = 1;
    if (strcmp(m, "abort") == 0)
        abort();
    if (strcmp(m, "fpe-raise") == 0)
        raise(SIGFPE);
    if (strcmp(m, "_exit5") == 0)
        _exit(5);
    if (strcmp(m, "quick_exit6") == 0)
        quick_exit(6);
    if (strcmp(m, "own-term") == 0) {
        signal(SIGTERM, own);
        raise(SIGTERM);
    }
    if (strcmp(m, "wait-term") == 0) {
        ssize_t w = write(1, "ready\n", 6); /* the test signals us now */
        (void)w;
        for (;;)
            pause();
    }
    return 1;
}
