/* static_fds: a statically linked program (not collected: the loader does
 * not run for it) that prints its open file descriptors. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int self = dirfd(d);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) != self)
            printf("%s\n", e->d_name);
    closedir(d);
    return 0;
}
