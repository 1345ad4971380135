/*-------------------------------------------------------------------------
 *
 * labels_match.c
 *	  Prometheus label matchers: labels @@ '{k="v", k2!="v", k3=~"re",
 *	  k4!~"re"}'.
 *
 * Semantics are Prometheus': a label that is absent has the value "", so
 * {k=""} matches series without k and {k!=""} needs it; regular expressions
 * are anchored at both ends.  They run on PostgreSQL's regex engine
 * (advanced REs, C collation), which accepts the RE2 syntax Prometheus users
 * write for all but RE2-only constructs.
 *
 * A matcher is parsed and its regexes compiled once per query: the parsed
 * set is kept in fn_extra, keyed by the matcher text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "labels.h"

PG_FUNCTION_INFO_V1(labels_match);

typedef struct LabelMatcher
{
	char	   *name;
	LabelOp		op;
	char	   *value;
	regex_t    *re;				/* compiled, for =~ and !~ */
} LabelMatcher;

struct LabelMatcherSet
{
	int			n;
	pg_wchar   *wbuf;			/* scratch for converting values */
	int			wbuf_len;
	MemoryContext cxt;
	LabelMatcher m[FLEXIBLE_ARRAY_MEMBER];
};

/* pg_regcomp's memory is malloc'd: free it with the context that owns it */
static void
free_regex(void *arg)
{
	pg_regfree((regex_t *) arg);
	free(arg);
}

static regex_t *
compile_anchored(const char *name, const char *pattern)
{
	char	   *anchored = psprintf("^(?:%s)$", pattern);
	int			len = strlen(anchored);
	pg_wchar   *wide = palloc((len + 1) * sizeof(pg_wchar));
	int			wlen = pg_mb2wchar_with_len(anchored, wide, len);
	regex_t    *re = malloc(sizeof(regex_t));
	int			rc;
	MemoryContextCallback *cb;

	if (re == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	rc = pg_regcomp(re, wide, wlen, REG_ADVANCED | REG_NOSUB, C_COLLATION_OID);
	if (rc != REG_OKAY)
	{
		char		msg[256];

		pg_regerror(rc, re, msg, sizeof(msg));
		free(re);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("invalid regular expression \"%s\" for label \"%s\": %s",
						pattern, name, msg)));
	}
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = free_regex;
	cb->arg = re;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	pfree(wide);
	pfree(anchored);
	return re;
}

LabelMatcherSet *
labels_matcher_parse(const char *text)
{
	List	   *items = labels_parse_selector(text, "label matcher", true);
	LabelMatcherSet *set;
	ListCell   *lc;
	int			i = 0;

	set = palloc0(offsetof(LabelMatcherSet, m) +
				  list_length(items) * sizeof(LabelMatcher));
	set->cxt = CurrentMemoryContext;
	set->n = list_length(items);
	foreach(lc, items)
	{
		LabelItem  *item = lfirst(lc);
		LabelMatcher *m = &set->m[i++];

		m->name = item->name;
		m->op = item->op;
		m->value = item->value;
		if (!labels_valid_label_name(m->name, strlen(m->name)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid label name \"%s\" in label matcher: \"%s\"",
							m->name, text)));
		if (m->op == LABEL_OP_RE || m->op == LABEL_OP_NRE)
			m->re = compile_anchored(m->name, m->value);
	}
	return set;
}

static bool
regex_matches(LabelMatcherSet *set, regex_t *re, const char *value, int len)
{
	int			wlen;
	int			rc;

	if (set->wbuf_len < len + 1)
	{
		set->wbuf_len = Max(len + 1, 64);
		set->wbuf = MemoryContextAlloc(set->cxt, set->wbuf_len * sizeof(pg_wchar));
	}
	wlen = pg_mb2wchar_with_len(value, set->wbuf, len);
	rc = pg_regexec(re, set->wbuf, wlen, 0, NULL, 0, NULL, 0);
	if (rc == REG_OKAY)
		return true;
	if (rc == REG_NOMATCH)
		return false;
	{
		char		msg[256];

		pg_regerror(rc, re, msg, sizeof(msg));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
				 errmsg("regular expression failed: %s", msg)));
	}
	return false;				/* keep compiler quiet */
}

bool
labels_matcher_eval(LabelMatcherSet *set, Labels labels)
{
	int			i;

	for (i = 0; i < set->n; i++)
	{
		LabelMatcher *m = &set->m[i];
		int			len = 0;
		const char *value = labels_get_value(labels, m->name, &len);
		bool		ok;

		if (value == NULL)
			value = "";			/* absent = empty, as in Prometheus */
		switch (m->op)
		{
			case LABEL_OP_EQ:
				ok = strcmp(value, m->value) == 0;
				break;
			case LABEL_OP_NE:
				ok = strcmp(value, m->value) != 0;
				break;
			case LABEL_OP_RE:
				ok = regex_matches(set, m->re, value, len);
				break;
			case LABEL_OP_NRE:
				ok = !regex_matches(set, m->re, value, len);
				break;
			default:
				elog(ERROR, "unknown label matcher operator %d", (int) m->op);
				ok = false;
		}
		if (!ok)
			return false;
	}
	return true;
}

typedef struct MatcherCache
{
	text	   *key;			/* the matcher text it was parsed from */
	LabelMatcherSet *set;
} MatcherCache;

/* labels @@ 'selector' */
Datum
labels_match(PG_FUNCTION_ARGS)
{
	Labels		labels = PG_GETARG_LABELS_PP(0);
	text	   *matcher = PG_GETARG_TEXT_PP(1);
	MatcherCache *cache = fcinfo->flinfo->fn_extra;

	if (cache == NULL ||
		VARSIZE_ANY_EXHDR(cache->key) != VARSIZE_ANY_EXHDR(matcher) ||
		memcmp(VARDATA_ANY(cache->key), VARDATA_ANY(matcher),
			   VARSIZE_ANY_EXHDR(matcher)) != 0)
	{
		MemoryContext fcxt = fcinfo->flinfo->fn_mcxt;
		MemoryContext cxt;
		MemoryContext old;

		/* each parsed matcher gets a context, freed when it is replaced */
		if (cache == NULL)
		{
			cache = MemoryContextAllocZero(fcxt, sizeof(MatcherCache));
			fcinfo->flinfo->fn_extra = cache;
		}
		else
			MemoryContextDelete(cache->set->cxt);
		cxt = AllocSetContextCreate(fcxt, "tsdb label matcher",
									ALLOCSET_SMALL_SIZES);
		old = MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			cache->set = labels_matcher_parse(text_to_cstring(matcher));
			cache->key = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(matcher));
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(old);
			MemoryContextDelete(cxt);
			fcinfo->flinfo->fn_extra = NULL;
			pfree(cache);
			PG_RE_THROW();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_BOOL(labels_matcher_eval(cache->set, labels));
}

/*
 * One matcher of a set, for indexes that evaluate matchers label by label
 * (label_index.c): its label name, operator and operand.
 */
int
labels_matcher_count(LabelMatcherSet *set)
{
	return set->n;
}

const char *
labels_matcher_get(LabelMatcherSet *set, int i, LabelOp *op,
				   const char **value)
{
	Assert(i >= 0 && i < set->n);
	*op = set->m[i].op;
	*value = set->m[i].value;
	return set->m[i].name;
}

/*
 * Does matcher i accept this value of its label ("" for an absent label)?
 * The value is NUL-terminated, len bytes long: the same test as
 * labels_matcher_eval makes, so an index agrees with it exactly.
 */
bool
labels_matcher_eval_value(LabelMatcherSet *set, int i, const char *value,
						  int len)
{
	LabelMatcher *m = &set->m[i];

	Assert(i >= 0 && i < set->n);
	switch (m->op)
	{
		case LABEL_OP_EQ:
			return strcmp(value, m->value) == 0;
		case LABEL_OP_NE:
			return strcmp(value, m->value) != 0;
		case LABEL_OP_RE:
			return regex_matches(set, m->re, value, len);
		case LABEL_OP_NRE:
			return !regex_matches(set, m->re, value, len);
	}
	elog(ERROR, "unknown label matcher operator %d", (int) m->op);
	return false;				/* keep compiler quiet */
}
