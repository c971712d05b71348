/*
 * wrap_thread.c - the calls that start threads running the program's
 * code.  The shim only notes that the process may now have more than one
 * thread (shim_mt, shim.h): from then on its fd and path tables change
 * with locked instructions.  Threads glibc starts by itself (for
 * SIGEV_THREAD notifications) are covered by the calls that ask for
 * them; any other thread marks shim_mt at its first count (tctr_attach).
 */
#include <errno.h>

#include "shim.h"

/*
 * Before any second thread can exist: the last moment the shim may make
 * its collector socket (send.c).
 */
static void
going_mt(void)
{
	if (unlikely(!shim_ready))
		shim_init();
	send_maybe_connect(1);
	__atomic_store_n(&shim_mt, 1, __ATOMIC_SEQ_CST);
}

EXPORT int
pthread_create(pthread_t *t, const pthread_attr_t *attr,
    void *(*fn)(void *), void *arg)
{
	going_mt();
	if (LAZY(pthread_create) == NULL)
		return EAGAIN;
	return LAZY(pthread_create)(t, attr, fn, arg);
}

EXPORT int
thrd_create(thrd_t *t, thrd_start_t fn, void *arg)
{
	going_mt();
	if (LAZY(thrd_create) == NULL)
		return thrd_error;
	return LAZY(thrd_create)(t, fn, arg);
}

EXPORT int
timer_create(clockid_t clock, struct sigevent *ev, timer_t *timer)
{
	if (ev != NULL && ev->sigev_notify == SIGEV_THREAD)
		going_mt();
	if (unlikely(LAZY(timer_create) == NULL)) {
		errno = ENOSYS;
		return -1;
	}
	return LAZY(timer_create)(clock, ev, timer);
}

EXPORT int
mq_notify(mqd_t q, const struct sigevent *ev)
{
	if (ev != NULL && ev->sigev_notify == SIGEV_THREAD)
		going_mt();
	if (unlikely(LAZY(mq_notify) == NULL)) {
		errno = ENOSYS;
		return -1;
	}
	return LAZY(mq_notify)(q, ev);
}
