/*
 * version.h - the one place the version of ioshim (the shim, the ioshim
 * tool and ioshimd) is set; every --version prints it.
 */
#ifndef IOSHIM_VERSION_H
#define IOSHIM_VERSION_H

#define IOSHIM_VERSION	"0.1"

#endif
