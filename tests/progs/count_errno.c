/*
 * count_errno.c - failing (and succeeding) I/O calls with the errno each
 * leaves, one line per call, for t-count-errno.sh, which runs it with and
 * without the shim and wants the same output.  Before every call errno is
 * set to 4242, so a call that succeeds shows whether it touched errno.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define T(label, expr) do {						\
	long r_;							\
	errno = 4242;							\
	r_ = (long)(expr);						\
	printf("%-34s rc=%ld errno=%d\n", label, r_, errno);		\
} while (0)

int
main(int argc, char **argv)
{
	char buf[64] = "hello", path[4096];
	struct iovec iov = { buf, 5 };
	struct stat st;
	int p[2], ro, wo, fd, s[2];
	FILE *f;
	volatile int bad_cnt = -1;

	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "%s/errno.file", argv[1]);
	if (pipe(p) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0)
		return 3;
	T("write(-1)", write(-1, buf, 1));
	T("write(9999)", write(9999, buf, 1));
	T("read(-1)", read(-1, buf, 1));
	T("read(9999)", read(9999, buf, 1));
	T("pread(-1)", pread(-1, buf, 1, 0));
	T("pwrite(-1)", pwrite(-1, buf, 1, 0));
	T("writev(-1)", writev(-1, &iov, 1));
	T("readv(-1)", readv(-1, &iov, 1));
	T("writev(bad iovcnt)", writev(1, &iov, bad_cnt));
	T("close(-1)", close(-1));
	T("close(12345)", close(12345));
	T("close_range(5,3)", close_range(5, 3, 0));
	T("dup(-1)", dup(-1));
	T("dup2(-1,20)", dup2(-1, 20));
	T("dup3(p0,p0)", dup3(p[0], p[0], 0));
	T("fcntl(-1,F_GETFD)", fcntl(-1, F_GETFD));
	T("fcntl(777,F_GETFL)", fcntl(777, F_GETFL));
	T("open(nonexistent)", open("/nonexistent/x", O_RDONLY));
	T("open(nonexistent,O_CREAT)", open("/nonexistent/x", O_CREAT | O_WRONLY, 0644));
	T("openat(-1,rel)", openat(-1, "rel", O_RDONLY));
	T("open(/etc/passwd/x)", open("/etc/passwd/x", O_RDONLY));
	T("creat(/proc/x)", creat("/proc/nope", 0644));
	T("fopen(nonexistent) != NULL", fopen("/nonexistent/x", "r") != NULL);
	T("lseek(pipe)", lseek(p[0], 0, SEEK_SET));
	T("pwrite(pipe)", pwrite(p[1], buf, 1, 0));
	T("pread(pipe)", pread(p[0], buf, 1, 0));
	T("fsync(-1)", fsync(-1));
	T("fsync(pipe)", fsync(p[1]));
	T("fdatasync(pipe)", fdatasync(p[1]));
	T("send(pipe)", send(p[1], buf, 1, 0));
	T("recv(pipe)", recv(p[0], buf, 1, MSG_DONTWAIT));
	T("sendto(-1)", sendto(-1, buf, 1, 0, NULL, 0));
	T("recv(empty socket, DONTWAIT)", recv(s[0], buf, 1, MSG_DONTWAIT));
	T("sendfile(-1,-1)", sendfile(-1, -1, NULL, 10));
	T("copy_file_range(-1,-1)", copy_file_range(-1, NULL, -1, NULL, 10, 0));
	T("splice(-1,-1)", splice(-1, NULL, -1, NULL, 10, 0));
	T("stat(nonexistent)", stat("/nonexistent", &st));
	T("fstat(-1)", fstat(-1, &st));
	T("ftruncate(pipe)", ftruncate(p[1], 0));
	ro = open("/etc/hostname", O_RDONLY);
	T("write(read-only fd)", write(ro, buf, 1));
	T("fsync(read-only fd)", fsync(ro));
	wo = open("/dev/null", O_WRONLY);
	T("read(write-only fd)", read(wo, buf, 1));
	T("fcntl(F_SETFL bad)", fcntl(wo, F_SETFL, O_APPEND) == 0);
	T("write(dir)", write(open("/", O_RDONLY | O_DIRECTORY), buf, 1));
	f = fopen("/etc/hostname", "r");
	T("fwrite(read-only FILE)", fwrite(buf, 1, 1, f));
	T("fputs(read-only FILE)", fputs("x", f));
	T("fflush(read-only FILE)", fflush(f));
	T("fclose(read-only FILE)", fclose(f));
	/* successes: errno must stay 4242 */
	T("write(/dev/null) ok", write(wo, buf, 5));
	T("open(file) ok", (fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0644)) >= 0);
	T("write(file, append) ok", write(fd, buf, 5));
	T("pwrite(file) ok", pwrite(fd, buf, 5, 0));
	T("fsync(file) ok", fsync(fd));
	T("lseek(file) ok", lseek(fd, 0, SEEK_SET));
	T("read(file) ok", read(fd, buf, 10));
	T("fstat(file) ok", fstat(fd, &st));
	T("stat(file) ok", stat(path, &st));
	T("dup(file) ok", close(dup(fd)));
	T("close(file) ok", close(fd));
	T("write(pipe) ok", write(p[1], buf, 3));
	T("read(pipe) ok", read(p[0], buf, 3));
	T("send(socket) ok", send(s[0], buf, 3, 0));
	T("recv(socket) ok", recv(s[1], buf, 3, 0));
	T("fopen ok", (f = fopen(path, "a")) != NULL);
	T("fprintf ok", fprintf(f, "x=%d\n", 42));
	T("fputs ok", fputs("line\n", f));
	T("fflush ok", fflush(f));
	T("fclose ok", fclose(f));
	T("fopen read ok", (f = fopen(path, "r")) != NULL);
	T("fgets ok", fgets(buf, sizeof(buf), f) != NULL);
	T("fread to EOF", fread(buf, 1, sizeof(buf), f));
	T("fclose ok", fclose(f));
	T("close(pipe) ok", close(p[0]) + close(p[1]));
	T("close(pipe) again", close(p[0]));
	T("closefrom (void)", (closefrom(100), 0));
	T("printf ok", printf("text\n"));
	fflush(stdout);
	return 0;
}
