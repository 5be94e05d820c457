/* pwd: print the current directory (lab 5: libc's, which the shell passed
 * through exec in the auxv). */
#include <errno.h>
#include <ochre_path.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd))) {
		dprintf(2, "pwd: %s\n", strerror(errno));
		return 1;
	}
	printf("%s\n", cwd);
	return 0;
}
