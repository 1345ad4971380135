#include "postgres.h"
#include "common/hashfn.h"
#include "labels.h"
uint32 labels_hash_bytes(const char *data, int len) { return hash_bytes((const unsigned char *) data, len); }
