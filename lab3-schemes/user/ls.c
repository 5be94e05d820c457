/* ls [-l] [path...]: lists directories (default: the current one), sorted
 * by name; -l adds the type and permissions and the size. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int long_format;

static void mode_string(unsigned mode, char *s)
{
	s[0] = S_ISDIR(mode) ? 'd' : (mode & S_IFMT) == S_IFCHR ? 'c'
	     : (mode & S_IFMT) == S_IFIFO ? 'p' : (mode & S_IFMT) == S_IFLNK ? 'l'
	     : '-';
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		s[1 + i] = mode & (0400u >> i) ? rwx[i] : '-';
	s[10] = '\0';
}

static void show(const char *path, const char *name)
{
	struct stat st;
	if (!long_format) {
		printf("%s\n", name);
		return;
	}
	if (stat(path, &st) < 0) {
		printf("?????????? %8s %s\n", "?", name);
		return;
	}
	char m[11];
	mode_string(st.st_mode, m);
	printf("%s %8lu %s\n", m, (unsigned long)st.st_size, name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort(char **v, size_t n)
{
	for (size_t i = 1; i < n; i++)	/* insertion sort: directories are small */
		for (size_t j = i; j > 0 && by_name(&v[j - 1], &v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static int list_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		dprintf(2, "ls: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(*names));
		}
		if (!names || !(names[n++] = strdup(e->d_name))) {
			dprintf(2, "ls: out of memory\n");
			return 1;
		}
	}
	int status = errno ? 1 : 0;
	if (status)
		dprintf(2, "ls: %s: %s\n", dir, strerror(errno));
	closedir(d);
	sort(names, n);
	size_t len = strlen(dir);
	const char *sep = len && (dir[len - 1] == '/') ? "" : "/";
	for (size_t i = 0; i < n; i++) {
		char path[OCHRE_PATH_MAX + 256];
		snprintf(path, sizeof(path), "%s%s%s", dir, sep, names[i]);
		show(path, names[i]);
		free(names[i]);
	}
	free(names);
	return status;
}

static int list(const char *path, int header)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		dprintf(2, "ls: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		show(path, path);
		return 0;
	}
	if (header)
		printf("%s:\n", path);
	return list_dir(path);
}

int main(int argc, char **argv)
{
	int i = 1, status = 0;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "-l") != 0) {
			dprintf(2, "usage: ls [-l] [path...]\n");
			return 2;
		}
		long_format = 1;
	}
	if (i == argc)
		return list(".", 0);
	for (int j = i; j < argc; j++)
		status |= list(argv[j], argc - i > 1);
	return status;
}
