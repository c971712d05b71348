/*
 * wrap_xattr.c - extended attributes by path (setxattr, getxattr,
 * listxattr, removexattr and their l- forms) are points where a
 * debounced state pending for that name is made real first
 * (debounce.c): the call then acts on the file holding the program's
 * newest state, as without the shim, and the change it makes is not
 * taken for another process's (which would supersede the pending state).
 * One load more than the call while nothing is pending.  The calls are
 * glibc's thin system call wrappers: made here the same way.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include "shim.h"

EXPORT int
setxattr(const char *path, const char *name, const void *value, size_t size,
    int flags)
{
	db_point(path);
	return (int)syscall(SYS_setxattr, path, name, value, size, flags);
}

EXPORT int
lsetxattr(const char *path, const char *name, const void *value, size_t size,
    int flags)
{
	db_point(path);
	return (int)syscall(SYS_lsetxattr, path, name, value, size, flags);
}

EXPORT ssize_t
getxattr(const char *path, const char *name, void *value, size_t size)
{
	db_point(path);
	return syscall(SYS_getxattr, path, name, value, size);
}

EXPORT ssize_t
lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	db_point(path);
	return syscall(SYS_lgetxattr, path, name, value, size);
}

EXPORT ssize_t
listxattr(const char *path, char *list, size_t size)
{
	db_point(path);
	return syscall(SYS_listxattr, path, list, size);
}

EXPORT ssize_t
llistxattr(const char *path, char *list, size_t size)
{
	db_point(path);
	return syscall(SYS_llistxattr, path, list, size);
}

EXPORT int
removexattr(const char *path, const char *name)
{
	db_point(path);
	return (int)syscall(SYS_removexattr, path, name);
}

EXPORT int
lremovexattr(const char *path, const char *name)
{
	db_point(path);
	return (int)syscall(SYS_lremovexattr, path, name);
}

/* --- by fd: a held temporary file (debounce_hold.c) is let go first, so
 * the attribute lands on the inode that becomes the state file --- */

EXPORT int
fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
	if (unlikely(db_on))
		dbh_real_fd(fd, 1);
	return (int)syscall(SYS_fsetxattr, fd, name, value, size, flags);
}

EXPORT int
fremovexattr(int fd, const char *name)
{
	if (unlikely(db_on))
		dbh_real_fd(fd, 1);
	return (int)syscall(SYS_fremovexattr, fd, name);
}
