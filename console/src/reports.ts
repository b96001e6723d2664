// The report pages: a survey's scores and their trend, a tour's step funnel, an
// experiment's variants, and the project's event trends. Each reads its report from the
// console API (the collector computes every figure; nothing is computed here but positions
// on a chart) and shows each chart beside the table of its figures. A report with nothing
// to show says so in words, never with an empty chart or a NaN.

import { call, project, type Experience, type Version } from './api.js';
import { bars, COLOURS, dataTable, figure, intervals, num, pct, signed, trend, type Bar, type TrendPoint } from './charts.js';
import { h, replace, when, type Child } from './dom.js';

/** How many of a report's events were recorded under one config version (`null`: none said). */
interface VersionCount { version: number | null; events: number }

interface Interval { low: number; high: number }
interface Headline { question: string; type: 'nps' | 'ces' | 'csat'; points: number; n: number; value: number | null; interval: Interval | null }
interface TrendDay { day: string; shown: number; responses: number; ratings: Headline[] }
interface CesScale { points: number; n: number; mean: number | null; distribution: number[]; easy_points: number; easy: number; easy_pct: number | null; interval: Interval | null }
type Question = { question: string; from: 'config' | 'data'; n: number } & (
  | { type: 'nps'; score: number | null; interval: Interval | null; promoters: number; passives: number; detractors: number; promoters_pct: number | null; passives_pct: number | null; detractors_pct: number | null; distribution: number[] }
  | { type: 'ces'; points: number; mean: number | null; scales: CesScale[] }
  | { type: 'csat'; distribution: number[]; satisfied: number; csat_pct: number | null; interval: Interval | null }
  | { type: 'single' | 'multiple'; choices: { choice: string; count: number; pct: number | null }[] }
  | { type: 'text'; non_empty: number });
interface TextAnswer { response: string; question: string; value: string; locale: string | null; timestamp: number }
export interface SurveyReport {
  survey: string; config_version: number | null; version: number | null; versions: VersionCount[]; interval: 'day' | 'week'; from: string; to: string; shown: number; responses: number; completed: number;
  completion_rate: number | null; dismissed: number; dismissal_rate: number | null; questions: Question[]; trend: TrendDay[];
  text: { answers: TextAnswer[] };
}

interface QuestionReach { question: string; type: string; optional: boolean; reached: number; answered: number; skipped: number; dismissed: number; unfinished: number; branched_past: number; answered_off_path: number }
interface ReachReport { count: 'people' | 'responses'; shown: number; completed: number; dismissed: number; unfinished: number; questions: QuestionReach[]; paths: { questions: string[]; end: string; count: number }[]; paths_left_off: number }

interface Conversion { rate: number | null; interval: Interval | null }
interface FunnelStep { step: number; definition: unknown; count: number; conversion_from_previous: Conversion | null; conversion_from_start: Conversion | null; median_time_ms: number | null }
interface TourReport {
  tour: string; version: number | null; versions: VersionCount[]; funnel: { from: string; to: string; steps: FunnelStep[] }; steps_left_off: number;
  dismissals: { step: number; reason: string; people: number }[];
  targets: { step: number; step_id: string | null; strategies: Record<string, number>; missing: number }[];
}

interface Variant { key: string; weight: number; exposures: number; conversions: number; conversion_rate: number | null; interval: Interval | null; uplift: number | null; p_value: number | null; chance_to_beat_control: number | null }
interface ExperimentReport {
  experiment: string; version: number | null; versions: VersionCount[]; goal: string; goals: string[]; exposures: number; conversions: number; mixed_exposures: number;
  srm: { chi_square: number | null; p_value: number | null }; srm_flag: boolean; variants: Variant[];
}

interface Counts { events: number; persons: number }
interface EventReport { from: string; to: string; name?: string; totals: Counts; by_day: ({ day: string } & Counts)[]; by_name: ({ name: string } & Counts)[] }

const shortDay = (day: string) => day.slice(5);

function heading(text: string): HTMLHeadingElement {
  return h('h1', { tabindex: '-1' }, text);
}

function empty(text: string): HTMLElement {
  return h('p', { class: 'empty-state' }, text);
}

function problem(text: string): HTMLElement {
  return h('p', { class: 'problem', role: 'alert' }, text);
}

function section(title: string, ...children: Child[]): HTMLElement {
  const id = `section-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { class: 'report', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** Which report page: the project, the experience's id in the URL, and the config version
 * it is read for (`null`: every version). The version is kept in the URL, as `/vN`. */
export interface ReportPage { name: string; id: string; version: number | null }

/** The URL of a report page. */
export function reportHash(page: ReportPage): string {
  return `#/p/${encodeURIComponent(page.name)}/r/${encodeURIComponent(page.id)}${page.version === null ? '' : `/v${page.version}`}`;
}

/** The config version a report URL's last segment names (`v2`), if any. */
export function versionFromPath(segment: string | undefined): number | null {
  const match = /^v([1-9][0-9]{0,15})$/.exec(segment ?? '');
  return match ? Number(match[1]) : null;
}

/** The project's published versions, newest first (none if they cannot be read). */
async function publishedVersions(name: string): Promise<Version[]> {
  const answer = await call<Version[]>('GET', `${project(name)}/versions`);
  return answer.ok ? answer.value : [];
}

/** What a report's version counts count, in words: showings, starts, exposures. */
interface Counted { one: string; many: string }

/** The version picker (every version, or one seen or published), kept in the URL, to put at
 * the top of a report; and the table of what each version recorded, for its end. */
function versionSection(page: ReportPage, seen: VersionCount[], published: Version[], counted: Counted): { picker: HTMLElement; table: HTMLElement } {
  const count = (version: number | null) => seen.find((v) => v.version === version)?.events ?? 0;
  const words = (n: number) => `${n} ${n === 1 ? counted.one : counted.many}`;
  const numbers = [...new Set([...seen.flatMap((v) => (v.version === null ? [] : [v.version])), ...published.map((v) => v.version)])].sort((a, b) => b - a);
  if (page.version !== null && !numbers.includes(page.version)) numbers.unshift(page.version);
  const live = published.find((v) => v.active)?.version;
  const label = (n: number) => `Version ${n}${n === live ? ' (live)' : ''}`;
  const select = h('select', { id: 'config-version', name: 'version' },
    h('option', { value: '', selected: page.version === null }, 'All versions'),
    ...numbers.map((n) => h('option', { value: String(n), selected: n === page.version }, `${label(n)}: ${count(n) ? words(count(n)) : `no ${counted.many}`}`)));
  const form = h('form', { class: 'actions version-picker' }, h('div', { class: 'field inline' }, h('label', { for: 'config-version' }, 'Config version'), select), h('button', { type: 'submit' }, 'Show version'),
    h('p', { class: 'hint' }, page.version === null ? 'Every version counts below.' : `Only what was recorded under version ${page.version} counts below, read with that version's definition.`));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = reportHash({ ...page, version: select.value ? Number(select.value) : null });
  });
  const unversioned = count(null);
  const rows = numbers.map((n) => [label(n), when(published.find((v) => v.version === n)?.published_at ?? 0), String(count(n))]);
  if (unversioned) rows.push(['Not recorded', '—', String(unversioned)]);
  const capital = counted.many[0]?.toUpperCase() + counted.many.slice(1);
  return {
    picker: form,
    table: section('Config versions',
      rows.length ? dataTable(`${capital} by config version`, ['Version', 'Published', capital], rows) : empty('No version published yet.'),
      unversioned ? h('p', { class: 'hint' }, `${words(unversioned)} came from pages that did not say their config version; they count in All versions only.`) : null),
  };
}

const TYPE_NAMES: Record<string, string> = { nps: 'NPS', ces: 'CES', csat: 'CSAT', single: 'one choice', multiple: 'choices', text: 'free text' };

/** The question's words from the experience's config, when it has them. */
function questionText(experience: Experience | undefined, id: string): string | null {
  const survey = experience?.survey as { questions?: { id?: unknown; text?: unknown }[] } | undefined;
  const text = survey?.questions?.find((q) => q.id === id)?.text;
  if (typeof text === 'string') return text;
  if (text && typeof text === 'object') {
    const first = Object.values(text as Record<string, unknown>).find((t) => typeof t === 'string');
    if (typeof first === 'string') return first;
  }
  return null;
}

/** A rating question's headline on each day of the trend. */
function trendPoints(report: SurveyReport, question: string): TrendPoint[] {
  return report.trend.map((day) => {
    const rating = day.ratings.find((r) => r.question === question);
    const has = rating !== undefined && rating.n > 0;
    return {
      label: shortDay(day.day),
      value: has ? rating.value : null,
      low: has && rating.interval ? rating.interval.low : null,
      high: has && rating.interval ? rating.interval.high : null,
    };
  });
}

function trendFigure(report: SurveyReport, question: string, kind: string, range: { min: number; max: number }, unit: string): HTMLElement | null {
  const points = trendPoints(report, question);
  const per = report.interval;
  const chart = trend(`${kind} per ${per}`, `${kind} of each ${per}'s answers from ${report.from} to ${report.to}, with its 95% interval as a band where it has one.`, [{ name: kind, points }], range, unit);
  if (!chart) return null;
  const rows = report.trend.flatMap((day) => {
    const rating = day.ratings.find((r) => r.question === question);
    if (!rating || rating.n === 0) return [];
    const band = rating.interval ? `${num(rating.interval.low, 1)} to ${num(rating.interval.high, 1)}` : '—';
    return [[day.day, String(rating.n), num(rating.value, 1), band]];
  });
  return figure(`${kind} over time (${per}s without answers are left out of the table)`, chart,
    dataTable(`${kind} per ${per}`, [per === 'week' ? 'Week from' : 'Day', 'Answers', kind, '95% interval'], rows));
}

function distributionFigure(title: string, labels: string[], counts: number[], n: number, colour?: (i: number) => string): HTMLElement {
  const items: Bar[] = counts.map((count, i) => ({ label: labels[i] ?? String(i), value: count, text: `${count} (${pct(n > 0 ? count / n : null, 0)})`, colour: colour?.(i) }));
  return figure(title, bars(title, `${n} answers: ${items.map((b) => `${b.label}: ${b.text}`).join(', ')}.`, items),
    dataTable(title, ['Answer', 'Answers', 'Share'], counts.map((count, i) => [labels[i] ?? String(i), String(count), pct(n > 0 ? count / n : null)])));
}

function questionSection(report: SurveyReport, question: Question, index: number, experience: Experience | undefined): HTMLElement {
  const words = questionText(experience, question.question);
  const title = `Question ${index + 1}: ${question.question} (${TYPE_NAMES[question.type] ?? question.type})`;
  const asked = words ? h('p', { class: 'asked' }, `“${words}”`) : null;
  const changed = question.from === 'data' ? h('p', { class: 'hint' }, 'Not in the live config: read from the answers it was given.') : null;
  if (question.n === 0) return section(title, asked, changed, empty('No responses yet.'));
  switch (question.type) {
    case 'nps': {
      const bands: Bar[] = [
        { label: 'Promoters (9–10)', value: question.promoters, text: `${question.promoters} (${num(question.promoters_pct, 0)}%)`, colour: COLOURS.good },
        { label: 'Passives (7–8)', value: question.passives, text: `${question.passives} (${num(question.passives_pct, 0)}%)`, colour: COLOURS.neutral },
        { label: 'Detractors (0–6)', value: question.detractors, text: `${question.detractors} (${num(question.detractors_pct, 0)}%)`, colour: COLOURS.bad },
      ];
      const interval = question.interval ? `, 95% interval ${num(question.interval.low, 1)} to ${num(question.interval.high, 1)}` : '';
      return section(title, asked, changed,
        h('p', { class: 'headline-figure' }, h('strong', {}, `NPS ${signed(question.score, 0)}`), ` from ${question.n} answer${question.n === 1 ? '' : 's'}${interval}`),
        trendFigure(report, question.question, 'NPS', { min: -100, max: 100 }, ''),
        figure('Promoters, passives and detractors', bars('NPS bands', bands.map((b) => `${b.label}: ${b.text}`).join(', '), bands),
          dataTable('NPS bands', ['Band', 'Answers', 'Share'], bands.map((b, i) => [b.label, String(b.value), `${num([question.promoters_pct, question.passives_pct, question.detractors_pct][i], 1)}%`]))),
        distributionFigure('Answers by score (0–10)', question.distribution.map((_, i) => String(i)), question.distribution, question.n,
          (i) => (i >= 9 ? COLOURS.good : i >= 7 ? COLOURS.neutral : COLOURS.bad)));
    }
    case 'ces': {
      return section(title, asked, changed,
        h('p', { class: 'headline-figure' }, h('strong', {}, `Mean ${num(question.mean, 2)} of ${question.points}`), ` from ${question.n} answer${question.n === 1 ? '' : 's'}`),
        trendFigure(report, question.question, 'CES mean', { min: 1, max: question.points }, ''),
        ...question.scales.filter((scale) => scale.n > 0).map((scale) => h('div', {},
          h('p', {}, `On the ${scale.points}-point scale: ${scale.n} answers, mean ${num(scale.mean, 2)}; easy (top ${scale.easy_points}) ${scale.easy} (${num(scale.easy_pct, 1)}%${scale.interval ? `, 95% interval ${num(scale.interval.low, 1)} to ${num(scale.interval.high, 1)}%` : ''}).`),
          distributionFigure(`Answers on the ${scale.points}-point scale (1 hardest, ${scale.points} easiest)`, scale.distribution.map((_, i) => String(i + 1)), scale.distribution, scale.n))));
    }
    case 'csat': {
      const interval = question.interval ? `, 95% interval ${num(question.interval.low, 1)} to ${num(question.interval.high, 1)}%` : '';
      return section(title, asked, changed,
        h('p', { class: 'headline-figure' }, h('strong', {}, `CSAT ${num(question.csat_pct, 1)}%`), ` satisfied (4 or 5) of ${question.n} answer${question.n === 1 ? '' : 's'}${interval}`),
        trendFigure(report, question.question, 'CSAT', { min: 0, max: 100 }, '%'),
        distributionFigure('Answers by rating (1–5)', ['1', '2', '3', '4', '5'], question.distribution, question.n,
          (i) => (i >= 3 ? COLOURS.good : i === 2 ? COLOURS.neutral : COLOURS.bad)));
    }
    case 'single':
    case 'multiple': {
      const counts = question.choices.map((c) => c.count);
      return section(title, asked, changed, distributionFigure(question.type === 'single' ? 'Answers by choice' : 'Respondents by choice (each may choose several)', question.choices.map((c) => c.choice), counts, question.n));
    }
    case 'text': {
      const answers = report.text.answers.filter((a) => a.question === question.question);
      return section(title, asked, changed,
        h('p', {}, `${question.non_empty} written answer${question.non_empty === 1 ? '' : 's'}.`),
        answers.length ? h('ul', { class: 'answers' }, ...answers.map((a) => h('li', {}, a.value, h('span', { class: 'kind' }, `${new Date(a.timestamp).toISOString().slice(0, 10)}${a.locale ? ` · ${a.locale}` : ''}`)))) : null);
    }
  }
}

/** How far people got through the survey's questions, through its branching. */
function reachSection(reach: ReachReport): HTMLElement {
  const who = reach.count === 'people' ? 'people' : 'responses';
  if (reach.shown === 0) return section('Reach by question', empty('No responses yet.'));
  const items: Bar[] = reach.questions.map((q, i) => ({ label: `${i + 1}. ${q.question}`, value: q.reached, text: `${q.reached} (${pct(q.reached / reach.shown, 0)})` }));
  return section('Reach by question',
    h('p', {}, `Of ${reach.shown} ${reach.shown === 1 ? who.replace(/people/, 'person').replace(/s$/, '') : who} shown the survey: ${reach.completed} completed, ${reach.dismissed} closed it, ${reach.unfinished} left it unfinished.`),
    figure(`${reach.count === 'people' ? 'People' : 'Responses'} reaching each question`, bars('Reach by question', items.map((b) => `${b.label}: ${b.text}`).join(', '), items),
      dataTable(`Reach by question (${who})`, ['Question', 'Reached', 'Answered', 'Skipped', 'Closed there', 'Branched past'],
        reach.questions.map((q, i) => [`${i + 1}. ${q.question}`, String(q.reached), String(q.answered), String(q.skipped), String(q.dismissed), String(q.branched_past)]))),
    reach.paths.length ? dataTable(`The paths taken, most first${reach.paths_left_off ? ` (${reach.paths_left_off} more left out)` : ''}`, ['Questions', 'Ended', who[0]?.toUpperCase() + who.slice(1)],
      reach.paths.map((p) => [p.questions.join(' → ') || '(none)', p.end, String(p.count)])) : null);
}

/** The query string that reads a report for `page`'s version. */
const versionQuery = (page: ReportPage, first = '?') => (page.version === null ? '' : `${first}version=${page.version}`);

/** A report that could not be read, with the way back to every version when one was asked. */
function refused(main: HTMLElement, page: ReportPage, title: string, message: HTMLElement): void {
  replace(main, heading(title), message,
    page.version === null ? null : h('p', {}, h('a', { href: reportHash({ ...page, version: null }) }, 'Show every version')));
}

/** A survey's trends are per week unless the reader asks for days: a month of days with a
 * few answers each is mostly noise. */
async function renderSurvey(main: HTMLElement, page: ReportPage, experience: Experience | undefined, interval: 'day' | 'week' = 'week'): Promise<void> {
  const { name, id } = page;
  const path = `${project(name)}/reports/surveys/${encodeURIComponent(id)}`;
  const [answer, reach, published] = await Promise.all([
    call<SurveyReport>('GET', `${path}?interval=${interval}${versionQuery(page, '&')}`), call<ReachReport>('GET', `${path}/reach${versionQuery(page)}`), publishedVersions(name)]);
  if (!answer.ok) {
    refused(main, page, `Report on ${id}`, answer.problem.error === 'unknown_survey' ? empty('No responses yet: nobody has been shown this survey.') : problem(answer.problem.message));
    return;
  }
  const r = answer.value;
  const summary = h('p', { class: 'summary' }, `From ${r.from} to ${r.to}${r.version === null ? '' : `, version ${r.version} only`}: shown ${r.shown} time${r.shown === 1 ? '' : 's'}, ${r.responses} response${r.responses === 1 ? '' : 's'}, ${r.completed} completed (${pct(r.completion_rate, 0)}), ${r.dismissed} dismissed (${pct(r.dismissal_rate, 0)}).`);
  const versions = versionSection(page, r.versions, published, { one: 'showing', many: 'showings' });
  const per = h('select', { id: 'trend-interval' }, h('option', { value: 'week', selected: r.interval === 'week' }, 'week'), h('option', { value: 'day', selected: r.interval === 'day' }, 'day'));
  const perForm = h('form', { class: 'actions' }, h('div', { class: 'field inline' }, h('label', { for: 'trend-interval' }, 'Trends per'), per), h('button', { type: 'submit' }, 'Show trends'));
  perForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void renderSurvey(main, page, experience, per.value === 'day' ? 'day' : 'week').then(() => main.querySelector<HTMLElement>('h1')?.focus());
  });
  replace(main, heading(`Report on ${id}`), summary, versions.picker, r.responses === 0 ? null : perForm,
    r.responses === 0 ? empty('No responses yet.') : null,
    // The reach needs the survey in the config read; a survey gone from it has none.
    reach.ok ? reachSection(reach.value) : null,
    ...r.questions.map((q, i) => questionSection(r, q, i, experience)),
    versions.table);
}

function stepName(step: FunnelStep, index: number, count: number, experience: Experience | undefined, report: TourReport): string {
  if (index === 0) return 'Started';
  if (index === count - 1) return 'Completed';
  const n = index - 1;
  const steps = (experience?.tour as { steps?: { id?: unknown }[] } | undefined)?.steps;
  const id = report.targets.find((t) => t.step === n)?.step_id ?? (typeof steps?.[n]?.id === 'string' ? steps[n]?.id as string : null);
  return `Step ${n + 1}${id ? ` (${id})` : ''}`;
}

async function renderTour(main: HTMLElement, page: ReportPage, experience: Experience | undefined): Promise<void> {
  const { name, id } = page;
  const [answer, published] = await Promise.all([
    call<TourReport>('GET', `${project(name)}/reports/tours/${encodeURIComponent(id)}${versionQuery(page)}`), publishedVersions(name)]);
  if (!answer.ok) {
    refused(main, page, `Report on ${id}`, problem(answer.problem.message));
    return;
  }
  const r = answer.value;
  const steps = r.funnel.steps;
  const started = steps[0]?.count ?? 0;
  const only = r.version === null ? '' : `, version ${r.version} only`;
  const versions = versionSection(page, r.versions, published, { one: 'start', many: 'starts' });
  if (started === 0) {
    replace(main, heading(`Report on ${id}`), h('p', { class: 'summary' }, `From ${r.funnel.from} to ${r.funnel.to}${only}.`), versions.picker, empty('Nobody has started this tour yet.'), versions.table);
    return;
  }
  const names = steps.map((s, i) => stepName(s, i, steps.length, experience, r));
  const dropped = (i: number) => (i > 0 ? (steps[i - 1]?.count ?? 0) - (steps[i]?.count ?? 0) : 0);
  const funnelBars: Bar[] = steps.map((s, i) => ({ label: names[i] ?? '', value: s.count,
    text: `${s.count} (${pct(s.conversion_from_start?.rate ?? (i === 0 ? 1 : null), 0)})${dropped(i) > 0 ? `, ${dropped(i)} left` : ''}` }));
  const funnelRows = steps.map((s, i) => {
    const previous = i > 0 ? steps[i - 1]?.count ?? 0 : null;
    return [names[i] ?? '', String(s.count), i === 0 ? '—' : pct(s.conversion_from_previous?.rate), previous === null ? '—' : String(previous - s.count)];
  });
  const completed = steps[steps.length - 1]?.conversion_from_start?.rate;
  const dismissalBars: Bar[] = r.dismissals.map((d) => ({ label: `Step ${d.step + 1}: ${d.reason}`, value: d.people, text: String(d.people), colour: COLOURS.bad }));
  replace(main, heading(`Report on ${id}`),
    h('p', { class: 'summary' }, `From ${r.funnel.from} to ${r.funnel.to}${only}: ${started} started, ${pct(completed, 0)} completed.`),
    versions.picker,
    section('Step funnel',
      figure('People reaching each step', bars('Tour step funnel', funnelBars.map((b) => `${b.label}: ${b.text}`).join(', '), funnelBars),
        dataTable('People reaching each step', ['Step', 'People', 'Of the previous', 'Dropped off'], funnelRows)),
      r.steps_left_off > 0 ? h('p', { class: 'hint' }, `${r.steps_left_off} later step(s) are left out of the funnel.`) : null),
    section('Dismissals',
      r.dismissals.length === 0 ? empty('Nobody has dismissed this tour.') :
        figure('People who dismissed the tour, by step and reason', bars('Dismissals by step and reason', dismissalBars.map((b) => `${b.label}: ${b.text}`).join(', '), dismissalBars),
          dataTable('Dismissals by step and reason', ['Step', 'Reason', 'People'], r.dismissals.map((d) => [`Step ${d.step + 1}`, d.reason, String(d.people)])))),
    section('Targets',
      r.targets.length === 0 ? empty('No step has been viewed.') :
        dataTable('How each step’s target was found', ['Step', 'Found by', 'Never appeared'], r.targets.map((t) => [
          `Step ${t.step + 1}${t.step_id ? ` (${t.step_id})` : ''}`,
          Object.entries(t.strategies).map(([k, v]) => `${k === 'none' ? 'no target' : k}: ${v}`).join(', ') || '—',
          String(t.missing)]))),
    versions.table);
}

async function renderExperiment(main: HTMLElement, page: ReportPage, id: string, goal: string | null): Promise<void> {
  const { name } = page;
  const query = goal ? `?goal=${encodeURIComponent(goal)}${versionQuery(page, '&')}` : versionQuery(page);
  const [answer, published] = await Promise.all([
    call<ExperimentReport>('GET', `${project(name)}/reports/experiments/${encodeURIComponent(id)}${query}`), publishedVersions(name)]);
  if (!answer.ok) {
    refused(main, page, `Report on ${id}`, answer.problem.error === 'unknown_experiment' ? empty('No exposures yet: nobody has seen this experiment.') : problem(answer.problem.message));
    return;
  }
  const r = answer.value;
  const versions = versionSection(page, r.versions, published, { one: 'exposure', many: 'exposures' });
  const select = h('select', { id: 'goal' }, ...r.goals.map((g) => h('option', { value: g, selected: g === r.goal }, g)));
  const goalForm = r.goals.length > 1 ? h('form', { class: 'actions' }, h('div', { class: 'field inline' }, h('label', { for: 'goal' }, 'Goal'), select), h('button', { type: 'submit' }, 'Show')) : null;
  goalForm?.addEventListener('submit', (event) => {
    event.preventDefault();
    void renderExperiment(main, page, id, select.value).then(() => main.querySelector<HTMLElement>('h1')?.focus());
  });
  const srm = r.srm_flag
    ? h('div', { class: 'warning', role: 'note' }, h('p', {}, h('strong', {}, 'Sample ratio mismatch. '),
      `The exposures per variant are unlikely under the configured weights (${r.srm.p_value !== null && r.srm.p_value < 0.0001 ? 'p < 0.0001' : `p = ${num(r.srm.p_value, 4)}`}): assignment or exposure tracking may be broken, so do not trust the comparisons below.`))
    : null;
  const rows = r.variants.map((v, i) => ({ label: v.key, value: v.conversion_rate === null ? null : v.conversion_rate * 100, low: v.interval ? v.interval.low * 100 : null, high: v.interval ? v.interval.high * 100 : null, colour: i === 0 ? COLOURS.neutral : COLOURS.accent }));
  const top = Math.min(100, Math.max(10, ...rows.map((row) => (row.high ?? 0) + 5)));
  const body = r.exposures === 0 ? empty('No exposures yet.') : figure(`Conversion to ${r.goal} per variant, with 95% intervals`,
    intervals('Conversion rate per variant', rows.map((row) => `${row.label}: ${num(row.value, 1)}% (${num(row.low, 1)} to ${num(row.high, 1)})`).join(', '), rows, { min: 0, max: Math.ceil(top / 10) * 10 }, '%'),
    dataTable('Variants against the control', ['Variant', 'Exposed', 'Converted', 'Rate (95% interval)', 'Uplift', 'Chance to beat control', 'p-value'],
      r.variants.map((v, i) => [
        `${v.key}${i === 0 ? ' (control)' : ''}`,
        `${v.exposures} (weight ${num(v.weight * 100, 0)}%)`,
        String(v.conversions),
        `${pct(v.conversion_rate)} (${v.interval ? `${pct(v.interval.low)} to ${pct(v.interval.high)}` : '—'})`,
        i === 0 ? '—' : signed(v.uplift === null ? null : v.uplift * 100, 1, '%'),
        i === 0 ? '—' : pct(v.chance_to_beat_control),
        i === 0 ? '—' : num(v.p_value, 3)])));
  replace(main, heading(`Report on ${id}`),
    h('p', { class: 'summary' }, `${r.exposures} people exposed${r.version === null ? '' : ` under version ${r.version}`}, ${r.conversions} converted to ${r.goal}${r.mixed_exposures ? `; ${r.mixed_exposures} saw more than one variant (counted in their first)` : ''}.`),
    srm, versions.picker, goalForm, body, versions.table);
}

/** The report page of one experience: its survey, tour or experiment report, for every
 * config version or the one `page` names. */
export async function renderReport(main: HTMLElement, page: ReportPage, experience: Experience | undefined): Promise<void> {
  if (experience?.experiment && typeof (experience.experiment as { key?: unknown }).key === 'string') {
    await renderExperiment(main, page, (experience.experiment as { key: string }).key, null);
  } else if (experience?.kind === 'tour') {
    await renderTour(main, page, experience);
  } else if (experience?.kind === 'survey' || experience === undefined) {
    await renderSurvey(main, page, experience);
  } else {
    replace(main, heading(`Report on ${page.id}`), empty('This experience has no report of its own: it is not a survey, a tour or an experiment. Its events are in Events.'));
  }
}

/** The project's events per day and per name, optionally of one event name. */
export async function renderEvents(main: HTMLElement, name: string, only: string | null = null): Promise<void> {
  const query = only ? `?name=${encodeURIComponent(only)}` : '';
  const answer = await call<EventReport>('GET', `${project(name)}/reports/events${query}`);
  if (!answer.ok) {
    replace(main, heading('Events'), problem(answer.problem.message));
    return;
  }
  const r = answer.value;
  const names = r.by_name.map((n) => n.name);
  const select = h('select', { id: 'event-name' }, h('option', { value: '', selected: !only }, 'every event'), ...(only && !names.includes(only) ? [only, ...names] : names).map((n) => h('option', { value: n, selected: n === only }, n)));
  const form = h('form', { class: 'actions' }, h('div', { class: 'field inline' }, h('label', { for: 'event-name' }, 'Event'), select), h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void renderEvents(main, name, select.value || null).then(() => main.querySelector<HTMLElement>('h1')?.focus());
  });
  const max = Math.max(1, ...r.by_day.map((d) => d.events));
  const chart = r.totals.events === 0 ? null : trend('Events and people per day', `${only ?? 'All events'} from ${r.from} to ${r.to}.`, [
    { name: 'events', points: r.by_day.map((d) => ({ label: shortDay(d.day), value: d.events })) },
    { name: 'people', points: r.by_day.map((d) => ({ label: shortDay(d.day), value: d.persons })), colour: COLOURS.good },
  ], { min: 0, max: Math.ceil(max * 1.1) });
  replace(main, heading('Events'),
    h('p', { class: 'summary' }, `From ${r.from} to ${r.to} (UTC days): ${r.totals.events} event${r.totals.events === 1 ? '' : 's'} from ${r.totals.persons} ${r.totals.persons === 1 ? 'person' : 'people'}${only ? ` (${only} only)` : ''}.`),
    form,
    chart ? section('Per day', figure('Events and people per day (days without events are left out of the table)', chart,
      dataTable('Events and people per day', ['Day', 'Events', 'People'], r.by_day.filter((d) => d.events > 0).map((d) => [d.day, String(d.events), String(d.persons)])))) : empty('No events in these days yet.'),
    r.by_name.length ? section('By event name', dataTable('Events by name, most first', ['Event', 'Events', 'People'], r.by_name.map((n) => [n.name, String(n.events), String(n.persons)]))) : null);
}
