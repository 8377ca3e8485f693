/* static_fds: a statically linked program (not collected: the loader does
 * not run for it) that prints its open file descriptors and any variable
 * of the collector's own in its environment. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int self = dirfd(d);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) != self)
            printf("%s\n", e->d_name);
    closedir(d);
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "EPMT_COLLECTOR", 14) == 0)
            printf("%s\n", *e);
    return 0;
}
