package infra

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezones validate the same on every machine, with or without a system tz database
)

// EventBridge Scheduler's recurring expressions (Scheduler user guide, "Schedule types on
// EventBridge Scheduler"):
//
//	cron(minutes hours day-of-month month day-of-week year)
//	rate(value unit)   unit: minute(s) | hour(s) | day(s); singular exactly when value is 1
//
// Cron fields and their values: minutes 0-59 and hours 0-23 (, - * /), day-of-month 1-31
// (, - * ? / L W), month 1-12 or JAN-DEC (, - * /), day-of-week 1-7 or SUN-SAT (, - * ? L #),
// year 1970-2199 (, - * /). Day-of-month and day-of-week cannot both be given: one of them must
// be ?. One-time at(...) schedules are not recurring jobs and are refused here.

type cronField struct {
	name     string
	lo, hi   int
	names    []string // JAN.., SUN..; index 0 is lo
	question bool     // ? allowed
	last     bool     // L allowed
	weekday  bool     // W allowed (day-of-month)
	nth      bool     // # allowed (day-of-week)
}

var cronFields = []cronField{
	{name: "minutes", lo: 0, hi: 59},
	{name: "hours", lo: 0, hi: 23},
	{name: "day-of-month", lo: 1, hi: 31, question: true, last: true, weekday: true},
	{name: "month", lo: 1, hi: 12, names: strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")},
	{name: "day-of-week", lo: 1, hi: 7, names: strings.Fields("SUN MON TUE WED THU FRI SAT"), question: true, last: true, nth: true},
	{name: "year", lo: 1970, hi: 2199},
}

var (
	cronExpr = regexp.MustCompile(`^cron\((.*)\)$`)
	rateExpr = regexp.MustCompile(`^rate\((.*)\)$`)
)

// scheduleExpressionProblem says why expr is not a recurring EventBridge Scheduler expression, or "".
func scheduleExpressionProblem(expr string) string {
	switch {
	case cronExpr.MatchString(expr):
		return cronProblem(cronExpr.FindStringSubmatch(expr)[1])
	case rateExpr.MatchString(expr):
		return rateProblem(rateExpr.FindStringSubmatch(expr)[1])
	case strings.HasPrefix(expr, "at("):
		return "is a one-time at(...) schedule; a scheduled job recurs: use cron(...) or rate(...)."
	}
	return "must be cron(minutes hours day-of-month month day-of-week year) or rate(value unit), e.g. cron(0 3 * * ? *) or rate(1 hour)."
}

func rateProblem(body string) string {
	parts := strings.Fields(body)
	if len(parts) != 2 {
		return fmt.Sprintf("rate(%s) must be rate(value unit), e.g. rate(5 minutes).", body)
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 1 {
		return fmt.Sprintf("rate(%s): the value must be a whole number of at least 1.", body)
	}
	unit := parts[1]
	singular := strings.TrimSuffix(unit, "s")
	if singular != "minute" && singular != "hour" && singular != "day" {
		return fmt.Sprintf("rate(%s): the unit must be minute(s), hour(s) or day(s).", body)
	}
	if want := singular + map[bool]string{true: "", false: "s"}[n == 1]; unit != want {
		return fmt.Sprintf("rate(%s): with value %d the unit is %q (singular exactly when the value is 1).", body, n, want)
	}
	return ""
}

func cronProblem(body string) string {
	fields := strings.Fields(body)
	if len(fields) != len(cronFields) {
		return fmt.Sprintf("cron(%s) has %d fields; EventBridge Scheduler needs 6: minutes hours day-of-month month day-of-week year, e.g. cron(0 3 * * ? *).", body, len(fields))
	}
	for i, f := range cronFields {
		if reason := f.problem(fields[i]); reason != "" {
			return fmt.Sprintf("cron(%s): %s %q %s", body, f.name, fields[i], reason)
		}
	}
	dom, dow := fields[2], fields[4]
	if (dom == "?") == (dow == "?") {
		return fmt.Sprintf("cron(%s): exactly one of day-of-month (%s) and day-of-week (%s) must be ?; the other says which days, e.g. cron(0 3 * * ? *) daily or cron(0 3 ? * MON-FRI *) on weekdays.", body, dom, dow)
	}
	return ""
}

// problem checks one field's value: a list of items.
func (f cronField) problem(v string) string {
	if v == "?" {
		if f.question {
			return ""
		}
		return "cannot be ?; only day-of-month and day-of-week can."
	}
	for _, item := range strings.Split(v, ",") {
		if reason := f.itemProblem(item); reason != "" {
			return reason
		}
	}
	return ""
}

func (f cronField) itemProblem(item string) string {
	allowed := fmt.Sprintf("must be %d-%d", f.lo, f.hi)
	if len(f.names) > 0 {
		allowed += fmt.Sprintf(" or %s-%s", f.names[0], f.names[len(f.names)-1])
	}
	allowed += ", *, a list (a,b), a range (a-b) or a step (a/n, */n)"
	switch {
	case f.last && item == "L":
		return ""
	case f.last && f.nth && strings.HasSuffix(item, "L"): // 6L: the last Friday
		if _, ok := f.value(strings.TrimSuffix(item, "L")); ok {
			return ""
		}
	case f.weekday && strings.HasSuffix(item, "W"): // 15W: the weekday nearest the 15th
		if _, ok := f.value(strings.TrimSuffix(item, "W")); ok {
			return ""
		}
	case f.nth && strings.Contains(item, "#"): // 3#2: the second Tuesday
		day, n, _ := strings.Cut(item, "#")
		k, err := strconv.Atoi(n)
		if _, ok := f.value(day); ok && err == nil && k >= 1 && k <= 5 {
			return ""
		}
		return "uses # as day#n with n from 1 to 5, e.g. 3#2 (the second Tuesday)."
	}
	base, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		n, err := strconv.Atoi(step)
		if err != nil || n < 1 {
			return "has a step that is not a positive whole number; " + allowed + "."
		}
	}
	if base == "*" {
		return ""
	}
	lo, hi, isRange := strings.Cut(base, "-")
	a, ok := f.value(lo)
	if !ok {
		return allowed + "."
	}
	if isRange {
		b, ok := f.value(hi)
		if !ok || b < a {
			return "has a range that is not low-high within the field; " + allowed + "."
		}
	}
	return ""
}

// value reads a number or a name within the field's range.
func (f cronField) value(s string) (int, bool) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.lo + i, true
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= f.lo && n <= f.hi
}

// timezoneProblem says why tz is not a timezone EventBridge Scheduler accepts (an IANA name in
// Go's embedded tz database), or "".
func timezoneProblem(tz string) string {
	if tz == "" || tz == "Local" {
		return "must be an IANA timezone name such as Asia/Tokyo or UTC."
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Sprintf("is not an IANA timezone name (%v); use one such as Asia/Tokyo, UTC or America/New_York.", err)
	}
	return ""
}

// ScheduleRunsPerMonth estimates how often a valid expression fires in an average month (30.4
// days), for the cost estimate; ok is false when it cannot say (years, L, W, #).
func ScheduleRunsPerMonth(expr string) (float64, bool) {
	const days = 30.4
	if m := rateExpr.FindStringSubmatch(expr); m != nil {
		parts := strings.Fields(m[1])
		if len(parts) != 2 {
			return 0, false
		}
		n, err := strconv.Atoi(parts[0])
		if err != nil || n < 1 {
			return 0, false
		}
		per := map[string]float64{"minute": 1, "hour": 60, "day": 1440}[strings.TrimSuffix(parts[1], "s")]
		if per == 0 {
			return 0, false
		}
		return days * 1440 / (per * float64(n)), true
	}
	m := cronExpr.FindStringSubmatch(expr)
	if m == nil {
		return 0, false
	}
	fields := strings.Fields(m[1])
	if len(fields) != 6 || fields[5] != "*" {
		return 0, false
	}
	count := func(i int) (int, bool) { return cronFields[i].count(fields[i]) }
	mins, ok1 := count(0)
	hours, ok2 := count(1)
	months, ok3 := count(3)
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	var perMonth float64
	switch dom, dow := fields[2], fields[4]; {
	case (dom == "*" || dom == "?") && (dow == "*" || dow == "?"):
		perMonth = days
	case dom == "?":
		n, ok := count(4)
		if !ok {
			return 0, false
		}
		perMonth = float64(n) * days / 7
	default:
		n, ok := count(2)
		if !ok {
			return 0, false
		}
		perMonth = float64(n)
	}
	return float64(mins*hours) * perMonth * float64(months) / 12, true
}

// count is how many values a field's list selects; false for L, W and #.
func (f cronField) count(v string) (int, bool) {
	seen := map[int]bool{}
	for _, item := range strings.Split(v, ",") {
		base, step, hasStep := strings.Cut(item, "/")
		n := 1
		if hasStep {
			var err error
			if n, err = strconv.Atoi(step); err != nil || n < 1 {
				return 0, false
			}
		}
		lo, hi := f.lo, f.hi
		if base != "*" {
			l, h, isRange := strings.Cut(base, "-")
			var ok bool
			if lo, ok = f.value(l); !ok {
				return 0, false
			}
			hi = lo
			if hasStep {
				hi = f.hi
			}
			if isRange {
				if hi, ok = f.value(h); !ok {
					return 0, false
				}
			}
		}
		for x := lo; x <= hi; x += n {
			seen[x] = true
		}
	}
	return len(seen), true
}
