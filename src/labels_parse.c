/*-------------------------------------------------------------------------
 *
 * labels_parse.c
 *	  The Prometheus selector syntax shared by tsdb.labels input and the @@
 *	  matcher: an optional metric name, then an optional brace list of
 *	  label/operator/quoted-value items.
 *
 *	  name{k="v", k2!="v", k3=~"re", k4!~"re",}
 *
 * Quoted values take the escapes \\, \" and \n, as the Prometheus text
 * exposition format does; any other escape is an error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "labels.h"

typedef struct Lexer
{
	const char *input;			/* whole input, for messages */
	const char *what;			/* "tsdb.labels" or "label matcher" */
	const char *p;
	const char *end;
} Lexer;

static void
syntax_error(Lexer *lx, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for %s: \"%s\"", lx->what, lx->input),
			 errdetail("%s (at character %d)", detail,
					   (int) (lx->p - lx->input) + 1)));
}

static void
skip_ws(Lexer *lx)
{
	while (lx->p < lx->end &&
		   (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r'))
		lx->p++;
}

static bool
is_name_start(char c, bool metric)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		(metric && c == ':');
}

static bool
is_name_char(char c, bool metric)
{
	return is_name_start(c, metric) || (c >= '0' && c <= '9');
}

static bool
valid_name(const char *s, int len, bool metric)
{
	int			i;

	if (len <= 0 || !is_name_start(s[0], metric))
		return false;
	for (i = 1; i < len; i++)
		if (!is_name_char(s[i], metric))
			return false;
	return true;
}

/* Is s a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)? */
bool
labels_valid_metric_name(const char *s, int len)
{
	return valid_name(s, len, true);
}

/* Is s a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)? */
bool
labels_valid_label_name(const char *s, int len)
{
	return valid_name(s, len, false);
}

static char *
scan_name(Lexer *lx, bool metric)
{
	const char *start = lx->p;

	while (lx->p < lx->end && is_name_char(*lx->p, metric))
		lx->p++;
	return pnstrdup(start, lx->p - start);
}

static char *
scan_quoted(Lexer *lx)
{
	StringInfoData buf;

	if (lx->p >= lx->end || *lx->p != '"')
		syntax_error(lx, "Expected a double-quoted label value.");
	lx->p++;
	initStringInfo(&buf);
	for (;;)
	{
		char		c;

		if (lx->p >= lx->end)
			syntax_error(lx, "Unterminated quoted label value.");
		c = *lx->p++;
		if (c == '"')
			break;
		if (c == '\\')
		{
			if (lx->p >= lx->end)
				syntax_error(lx, "Unterminated quoted label value.");
			c = *lx->p++;
			if (c == 'n')
				c = '\n';
			else if (c != '\\' && c != '"')
			{
				lx->p -= 2;
				syntax_error(lx, "Invalid escape sequence in label value; only \\\\, \\\" and \\n are allowed.");
			}
		}
		appendStringInfoChar(&buf, c);
	}
	return buf.data;
}

/*
 * Parse a selector into items.  With allow_ops false (tsdb.labels input)
 * every item must use "=".  The metric name written before the brace comes
 * back as an item {"__name__", "=", name}, first.
 */
List *
labels_parse_selector(const char *input, const char *what, bool allow_ops)
{
	Lexer		lx;
	List	   *items = NIL;

	lx.input = input;
	lx.what = what;
	lx.p = input;
	lx.end = input + strlen(input);

	skip_ws(&lx);
	if (lx.p < lx.end && *lx.p != '{')
	{
		LabelItem  *item;

		if (!is_name_start(*lx.p, true))
			syntax_error(&lx, "Expected a metric name or \"{\".");
		item = palloc(sizeof(LabelItem));
		item->name = pstrdup(LABELS_NAME_LABEL);
		item->op = LABEL_OP_EQ;
		item->value = scan_name(&lx, true);
		items = lappend(items, item);
		skip_ws(&lx);
	}
	if (lx.p < lx.end && *lx.p == '{')
	{
		lx.p++;
		skip_ws(&lx);
		while (lx.p < lx.end && *lx.p != '}')
		{
			LabelItem  *item = palloc(sizeof(LabelItem));

			if (!is_name_start(*lx.p, false))
				syntax_error(&lx, "Expected a label name.");
			item->name = scan_name(&lx, false);
			skip_ws(&lx);
			if (lx.p + 1 < lx.end && lx.p[0] == '!' && lx.p[1] == '=')
			{
				item->op = LABEL_OP_NE;
				lx.p += 2;
			}
			else if (lx.p + 1 < lx.end && lx.p[0] == '=' && lx.p[1] == '~')
			{
				item->op = LABEL_OP_RE;
				lx.p += 2;
			}
			else if (lx.p + 1 < lx.end && lx.p[0] == '!' && lx.p[1] == '~')
			{
				item->op = LABEL_OP_NRE;
				lx.p += 2;
			}
			else if (lx.p < lx.end && lx.p[0] == '=')
			{
				item->op = LABEL_OP_EQ;
				lx.p += 1;
			}
			else
				syntax_error(&lx, allow_ops ?
							 "Expected one of =, !=, =~ or !~ after the label name." :
							 "Expected \"=\" after the label name.");
			if (!allow_ops && item->op != LABEL_OP_EQ)
			{
				lx.p -= 2;
				syntax_error(&lx, "A label set takes only \"=\"; matchers (!=, =~, !~) belong with the @@ operator.");
			}
			skip_ws(&lx);
			item->value = scan_quoted(&lx);
			items = lappend(items, item);
			skip_ws(&lx);
			if (lx.p < lx.end && *lx.p == ',')
			{
				lx.p++;
				skip_ws(&lx);
			}
			else if (lx.p < lx.end && *lx.p != '}')
				syntax_error(&lx, "Expected \",\" or \"}\" after a label value.");
		}
		if (lx.p >= lx.end)
			syntax_error(&lx, "Missing \"}\".");
		lx.p++;
		skip_ws(&lx);
	}
	if (lx.p < lx.end)
		syntax_error(&lx, "Unexpected characters after the label set.");
	if (items == NIL)
		syntax_error(&lx, allow_ops ? "A matcher needs at least one label matcher." :
					 "A label set needs at least one label.");
	return items;
}

/* Append a value in the quoted form the parser reads back. */
void
labels_append_quoted(StringInfo buf, const char *value)
{
	const char *c;

	appendStringInfoChar(buf, '"');
	for (c = value; *c; c++)
	{
		if (*c == '\\')
			appendStringInfoString(buf, "\\\\");
		else if (*c == '"')
			appendStringInfoString(buf, "\\\"");
		else if (*c == '\n')
			appendStringInfoString(buf, "\\n");
		else
			appendStringInfoChar(buf, *c);
	}
	appendStringInfoChar(buf, '"');
}
