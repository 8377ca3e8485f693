/* emptyargv FILE: execvp(FILE) with an empty argv, as a few programs do.
 * A FILE that is not a program (no #!) is run by /bin/sh, which then has
 * no arguments but the file. Exits 1 if the exec fails. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    char *none[] = {NULL};
    execvp(argv[1], none);
    perror("execvp");
    return 1;
}
