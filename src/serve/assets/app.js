// partnerkb web page: search, filters, record view, classifier and the
// registry's type chart. Plain ES2020, no dependencies, and every request
// goes to the server that served this page.
//
// Text from the API is always inserted with textContent (via `el`). The one
// exception is `snippet_html`, which the server escapes itself; even so it is
// rebuilt below keeping only text and <b>, so a misbehaving server cannot
// inject markup.
'use strict';

(() => {
  // ---- Vocabulary ---------------------------------------------------------

  // The typology comes from the server (GET /api/typology), so a class
  // added to the codebook needs no edit here. Filled in by loadTypology()
  // before anything is drawn.
  const AXIS_NAMES = { sector: 'Partner sector' };
  // Facet values in the codebook's order (not alphabetical).
  const FACET_VALUES = {};
  let FACET_AXES = [];
  let CLASS_AXES = [];
  let TYPE_AXES = [];
  const VALUE_NAMES = {};
  // One-line definitions from the codebook, shown as tooltips.
  const VALUE_HELP = {};

  async function loadTypology() {
    const typology = await api('api/typology');
    CLASS_AXES = Object.keys(typology.axes);
    TYPE_AXES = typology.kinds.partnership.axes;
    for (const axis of CLASS_AXES) {
      FACET_VALUES[axis] = typology.axes[axis].classes;
      AXIS_NAMES[axis] = typology.axes[axis].title;
    }
    FACET_VALUES.sector = typology.sectors;
    FACET_AXES = Object.keys(FACET_VALUES);
    for (const [value, shown] of Object.entries(typology.values)) {
      VALUE_NAMES[value] = shown.title;
      if (shown.definition) VALUE_HELP[value] = shown.definition;
    }
  }

  const valueName = (v) => VALUE_NAMES[v] || String(v).replace(/_/g, ' ');
  const axisName = (a) => AXIS_NAMES[a] || String(a).replace(/_/g, ' ');

  function percent(p) {
    if (typeof p !== 'number' || !Number.isFinite(p)) return '';
    if (p >= 0.995 && p < 1) return '>99%';
    if (p > 0 && p < 0.005) return '<1%';
    return `${Math.round(p * 100)}%`;
  }

  const numberFormat = new Intl.NumberFormat('en');
  const fmt = (n) => numberFormat.format(n);

  // ---- DOM helpers --------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  const scrollBehavior = () => (window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth');

  /** Create an element. Strings among `kids` become text nodes. */
  function el(tag, props = {}, ...kids) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value == null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const kid of kids.flat()) {
      if (kid == null || kid === false) continue;
      node.append(kid);
    }
    return node;
  }

  /** The server's snippet_html, keeping only text and <b> (as <mark>). */
  function snippetFragment(html, fallback) {
    const frag = document.createDocumentFragment();
    if (typeof html !== 'string') {
      frag.append(fallback || '');
      return frag;
    }
    const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
    const copy = (from, into) => {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          into.append(node.data);
        } else if (node.nodeType === Node.ELEMENT_NODE) {
          if (node.tagName === 'B') {
            const mark = el('mark');
            copy(node, mark);
            into.append(mark);
          } else {
            copy(node, into);
          }
        }
      }
    };
    copy(doc.body, frag);
    return frag;
  }

  const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  /** `text` with each evidence term marked; falls back to the stems. */
  function highlightTerms(text, evidence) {
    const frag = document.createDocumentFragment();
    const terms = [...new Set((evidence || [])
      .map((e) => (typeof e.term === 'string' ? e.term.trim() : ''))
      .filter((t) => t.length > 1))];
    const stems = [...new Set((evidence || [])
      .map((e) => (typeof e.feature === 'string' ? e.feature : ''))
      .filter((f) => f.length > 2 && /^[\p{L}\p{N}]+$/u.test(f)))];
    const edge = '(?<![\\p{L}\\p{N}])';
    const end = '(?![\\p{L}\\p{N}])';
    const patterns = [];
    if (terms.length) {
      const alts = terms.sort((a, b) => b.length - a.length)
        .map((t) => escapeRegExp(t).replace(/\s+/g, '\\s+'));
      patterns.push(new RegExp(`${edge}(?:${alts.join('|')})${end}`, 'giu'));
    }
    if (stems.length) {
      const alts = stems.sort((a, b) => b.length - a.length).map(escapeRegExp);
      patterns.push(new RegExp(`${edge}(?:${alts.join('|')})[\\p{L}]*`, 'giu'));
    }
    for (const re of patterns) {
      const matches = [...text.matchAll(re)];
      if (!matches.length) continue;
      let last = 0;
      for (const m of matches) {
        frag.append(text.slice(last, m.index), el('mark', { text: m[0] }));
        last = m.index + m[0].length;
      }
      frag.append(text.slice(last));
      return frag;
    }
    frag.append(text);
    return frag;
  }

  /**
   * `message` is a string, or an ApiError: then its wording follows the
   * server's error code, so a user's own slip (an unknown value, empty
   * text) reads differently from a fault of the server.
   */
  function showError(region, message) {
    if (message instanceof Error && !(message instanceof ApiError)) message = message.message;
    const fault = message instanceof ApiError ? message.fault() : true;
    region.textContent = '';
    region.append(el('strong', { text: fault ? 'Something went wrong. ' : 'Please check: ' }),
      message instanceof ApiError ? message.explain() : message);
    region.classList.add('is-shown');
    region.dataset.code = message instanceof ApiError ? message.code : '';
  }

  /** Errors are about the last action: the next one clears them all. */
  function clearAllErrors() {
    for (const region of document.querySelectorAll('.alert.is-shown')) clearError(region);
  }

  function clearError(region) {
    region.textContent = '';
    region.classList.remove('is-shown');
  }

  // ---- API ----------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, code = '') {
      super(message);
      this.status = status;
      this.code = code || (status === 0 ? 'unreachable' : '');
    }

    /** Whether the server (or the network) is at fault, not the user. */
    fault() {
      return this.status === 0 || this.status >= 500;
    }

    /** The message in the user's terms, by the server's error code. */
    explain() {
      const detail = this.message;
      switch (this.code) {
        case 'unreachable':
          return 'The server could not be reached. Check that partnerkb serve is still running, then try again.';
        case 'busy':
          return 'The index is busy with another change (an ingest or a label). Nothing was lost: try again in a moment.';
        case 'forbidden':
          return `This server does not accept changes from here: ${detail}. Ask whoever runs it for the write token.`;
        case 'not_found':
          return `${detail}. It may have been deleted or re-ingested under another id.`;
        case 'unknown_value':
        case 'wrong_axis':
          return `${detail}. Choose one of the values the filters offer.`;
        case 'empty_text':
          return 'There is no text to classify: paste a description or a lesson first.';
        case 'invalid_record':
        case 'rejected':
        case 'unknown_format':
        case 'column_mapping':
          return `The file could not be read as records: ${detail}.`;
        case 'body_too_large':
          return `That is more than this server takes in one request: ${detail}.`;
        case 'timeout':
          return 'The server took too long to answer. Try a shorter query or fewer filters, then try again.';
        default:
          return this.fault()
            ? `The server failed (${this.code || `HTTP ${this.status}`}): ${detail}. This is not something you did; the server's log has the details.`
            : `${detail}.`;
      }
    }
  }

  async function api(path, options = {}) {
    const init = { ...options, headers: { accept: 'application/json', ...(options.headers || {}) } };
    if (options.json !== undefined) {
      init.method = 'POST';
      init.body = JSON.stringify(options.json);
      init.headers['content-type'] = 'application/json';
      delete init.json;
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new ApiError(0, 'the server could not be reached');
    }
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch (_) {
      body = null;
    }
    if (!response.ok) {
      const detail = body && typeof body.error === 'string' ? body.error : text.slice(0, 300);
      const code = body && typeof body.code === 'string' ? body.code : '';
      throw new ApiError(response.status, (detail || response.statusText).replace(/\.$/, ''), code);
    }
    if (body === null || typeof body !== 'object') {
      throw new ApiError(response.status, 'The server sent a response this page cannot read.');
    }
    return body;
  }


  // ---- Search state -------------------------------------------------------

  const PAGE_SIZE = 10;
  /** Page sizes offered beside the pager (the API allows up to 100). */
  const PAGE_SIZES = [10, 25, 50, 100];
  const state = {
    q: '',
    kind: '',
    // Facet filters hold every chosen value: OR within an axis, AND
    // across axes, as the server combines them.
    function: [],
    mode: [],
    challenge: [],
    sector: [],
    gold_only: false,
    // '' is relevance; else `key:asc|desc` as the API takes it.
    sort: '',
    offset: 0,
    limit: PAGE_SIZE,
  };
  const SORTS = ['name:asc', 'name:desc', 'start_year:desc', 'start_year:asc', 'confidence:asc', 'confidence:desc'];

  function searchQuery(overrides = {}) {
    const s = { ...state, ...overrides };
    const params = new URLSearchParams();
    params.set('q', s.q);
    if (s.kind) params.set('kind', s.kind);
    for (const axis of FACET_AXES) for (const value of s[axis] || []) params.append(axis, value);
    if (s.gold_only) params.set('gold_only', 'true');
    if (s.sort) params.set('sort', s.sort);
    params.set('limit', String(overrides.limit || s.limit || PAGE_SIZE));
    params.set('offset', String(s.offset || 0));
    return params.toString();
  }

  function readUrl() {
    const params = new URLSearchParams(window.location.search);
    state.q = params.get('q') || '';
    const kind = params.get('kind') || '';
    state.kind = kind === 'partnership' || kind === 'lesson' ? kind : '';
    for (const axis of FACET_AXES) {
      // Repeated (`mode=a&mode=b`) or comma separated; unknown values are
      // dropped rather than sent to be refused.
      const values = params.getAll(axis).flatMap((v) => v.split(',')).map((v) => v.trim());
      state[axis] = [...new Set(values)].filter((v) => FACET_VALUES[axis].includes(v));
    }
    state.gold_only = params.get('gold_only') === 'true';
    const sort = params.get('sort') || '';
    state.sort = SORTS.includes(sort) ? sort : '';
    const offset = Number.parseInt(params.get('offset') || '0', 10);
    state.offset = Number.isFinite(offset) && offset > 0 ? offset : 0;
    const limit = Number.parseInt(params.get('limit') || '', 10);
    state.limit = PAGE_SIZES.includes(limit) ? limit : PAGE_SIZE;
    return params.get('record');
  }

  function writeUrl(recordRef) {
    const params = new URLSearchParams();
    if (state.q) params.set('q', state.q);
    if (state.kind) params.set('kind', state.kind);
    for (const axis of FACET_AXES) for (const value of state[axis]) params.append(axis, value);
    if (state.gold_only) params.set('gold_only', 'true');
    if (state.sort) params.set('sort', state.sort);
    if (state.offset) params.set('offset', String(state.offset));
    if (state.limit !== PAGE_SIZE) params.set('limit', String(state.limit));
    const ref = recordRef === undefined ? currentRecordRef() : recordRef;
    if (ref) params.set('record', ref);
    const query = params.toString();
    const url = query ? `?${query}` : window.location.pathname;
    // A new search or filter is a new history entry, so Back undoes it;
    // opening a record, paging back from history or rewriting the same
    // search only replaces the current one.
    const searchPart = (search) => {
      const p = new URLSearchParams(search);
      p.delete('record');
      return p.toString();
    };
    const changed = searchPart(query) !== searchPart(window.location.search);
    if (changed && !restoringHistory) window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
  }

  /** True while the page follows Back/Forward (nothing new to push). */
  let restoringHistory = false;

  // ---- Filters ------------------------------------------------------------

  const chipNodes = {}; // axis -> value -> button

  function ensureChip(axis, value) {
    chipNodes[axis] = chipNodes[axis] || {};
    if (chipNodes[axis][value]) return chipNodes[axis][value];
    const count = el('span', { class: 'chip-count', 'aria-hidden': 'true' });
    const button = el('button', {
      type: 'button',
      class: 'chip',
      'aria-pressed': 'false',
      'data-axis': axis,
      'data-value': value,
      'data-testid': `chip-${axis}-${value}`,
      title: VALUE_HELP[value] || null,
      onclick: () => toggleFilter(axis, value),
    }, el('span', { class: 'chip-label', text: valueName(value) }), count);
    chipNodes[axis][value] = button;
    $(`chips-${axis}`).append(button);
    return button;
  }

  function buildChips() {
    for (const axis of FACET_AXES) for (const value of FACET_VALUES[axis]) ensureChip(axis, value);
  }

  function toggleFilter(axis, value) {
    state[axis] = state[axis].includes(value)
      ? state[axis].filter((v) => v !== value)
      : [...state[axis], value];
    state.offset = 0;
    runSearch();
  }

  // Lessons carry no function or mode of their own: with "Lessons" chosen,
  // a function or mode chip lists the lessons for that partnership type
  // first, so those chips show no count.
  const rankingLessons = (axis) => state.kind === 'lesson' && TYPE_AXES.includes(axis);

  /**
   * `choices` are the server's disjunctive counts: for every value, the
   * number of results after clicking it (adding it to its axis, or taking
   * it out when chosen), so a count shown is what the click gives.
   */
  function updateChips(choices) {
    for (const axis of FACET_AXES) {
      const counts = (choices && choices[axis]) || {};
      const ranking = rankingLessons(axis);
      for (const value of Object.keys(counts)) ensureChip(axis, value);
      for (const [value, button] of Object.entries(chipNodes[axis] || {})) {
        const n = Number(counts[value] || 0);
        const pressed = state[axis].includes(value);
        button.setAttribute('aria-pressed', String(pressed));
        button.dataset.count = ranking ? '' : String(n);
        button.querySelector('.chip-count').textContent = ranking ? '' : fmt(n);
        button.classList.toggle('no-count', ranking);
        const then = pressed ? 'without it' : 'with it';
        button.setAttribute('aria-label', ranking
          ? `${valueName(value)}: lessons for ${valueName(value).toLowerCase()} partnerships first`
          : `${valueName(value)}: ${fmt(n)} ${n === 1 ? 'result' : 'results'} ${then}`);
        // A value that would leave nothing cannot be chosen (one that is
        // chosen can always be taken out).
        const empty = !ranking && n === 0 && !pressed;
        button.classList.toggle('is-empty', empty);
        button.disabled = empty;
      }
      const hint = document.getElementById(`facet-${axis}-hint`);
      if (hint) {
        hint.dataset.text = hint.dataset.text || hint.textContent;
        hint.textContent = ranking ? 'lists lessons for this type first' : hint.dataset.text;
      }
      // A group with nothing to offer (e.g. challenges when only partnerships
      // match) folds to one line instead of a column of zeros.
      const group = $(`chips-${axis}`).closest('.facet');
      const nothing = !ranking && !state[axis].length && Object.values(chipNodes[axis] || {})
        .every((button) => button.dataset.count === '0');
      group.classList.toggle('is-all-empty', nothing);
    }
  }

  /** The kind control's counts: each the total after choosing it. */
  function updateKindControls(kindChoices) {
    for (const radio of document.querySelectorAll('input[name="kind"]')) {
      radio.checked = radio.value === state.kind;
    }
    const counts = kindChoices || {};
    for (const kind of ['all', 'partnership', 'lesson']) {
      const node = $(`kind-count-${kind}`);
      node.textContent = fmt(Number(counts[kind] || 0));
      node.dataset.count = String(Number(counts[kind] || 0));
    }
  }

  function renderActiveFilters() {
    const box = $('active-filters');
    box.textContent = '';
    const active = [];
    if (state.kind) active.push(['kind', state.kind === 'lesson' ? 'Lessons only' : 'Partnerships only']);
    for (const axis of FACET_AXES) {
      const first = rankingLessons(axis) ? ' first' : '';
      for (const value of state[axis]) {
        active.push([axis, `${axisName(axis)}: ${valueName(value)}${first}`, value]);
      }
    }
    if (state.gold_only) active.push(['gold_only', 'Gold labels only']);
    $('filters-active-count').textContent = active.length ? String(active.length) : '';
    $('filters-open').setAttribute('aria-label', active.length
      ? `Filters, ${active.length} in force` : 'Filters');
    if (!active.length) return;
    box.append(el('span', { class: 'active-label', text: 'Filtered by' }));
    for (const [key, text, value] of active) {
      box.append(el('button', {
        type: 'button',
        class: 'pill',
        'aria-label': `Remove filter ${text}`,
        onclick: () => {
          if (key === 'gold_only') state.gold_only = false;
          else if (key === 'kind') state.kind = '';
          else state[key] = state[key].filter((v) => v !== value);
          state.offset = 0;
          syncControls();
          runSearch();
        },
      }, text, el('span', { class: 'pill-x', 'aria-hidden': 'true', text: '×' })));
    }
  }

  function syncControls() {
    $('q').value = state.q;
    $('page-size').value = String(state.limit);
    $('sort').value = state.sort;
    $('gold-only').checked = state.gold_only;
    for (const radio of document.querySelectorAll('input[name="kind"]')) {
      radio.checked = radio.value === state.kind;
    }
  }

  // ---- Results ------------------------------------------------------------

  let searchSeq = 0;
  let searchAbort = null;

  async function runSearch({ focusResults = false } = {}) {
    const seq = ++searchSeq;
    if (searchAbort) searchAbort.abort();
    const controller = new AbortController();
    searchAbort = controller;
    const list = $('results');
    list.setAttribute('aria-busy', 'true');
    // Until the answer comes, nothing to page through; on the first
    // search, say that one is running.
    $('prev-page').disabled = true;
    $('next-page').disabled = true;
    const count = $('result-count');
    if (count.dataset.total === undefined) count.textContent = 'Searching…';
    // A new search is a new action: an error left by another one (the
    // classifier, a record) is about something else now.
    clearAllErrors();
    writeUrl();
    renderActiveFilters();
    try {
      const data = await api(`api/search?${searchQuery()}`, { signal: controller.signal });
      if (seq !== searchSeq) return;
      clearError($('search-error'));
      const choices = data.choices ? data.choices.counts || {} : {};
      renderResults(data, choices.kind || null);
      updateChips(choices);
      updateKindControls(choices.kind);
      if (focusResults) $('results-heading').focus();
    } catch (err) {
      if (err.name === 'AbortError' || seq !== searchSeq) return;
      showError($('search-error'), err);
      renderResults(null);
    } finally {
      if (seq === searchSeq) list.setAttribute('aria-busy', 'false');
    }
  }

  /** "advocacy negotiation", for the type filters in force. */
  const typeFilterText = () => TYPE_AXES.filter((axis) => state[axis].length)
    .map((axis) => state[axis].map((v) => valueName(v).toLowerCase()).join(' or ')).join(' ');

  /**
   * How lessons enter a search filtered by partnership type: listed beside
   * the partnerships of that type (all kinds), or ranked first (lessons).
   * `kindCounts` are the kind control's counts (totals after choosing).
   */
  function typeFilterNote(data, kindCounts) {
    const type = typeFilterText();
    if (!type || !data || state.challenge.length) return '';
    if (state.kind === '') {
      const kinds = data.facets && data.facets.kind ? data.facets.kind : {};
      const lessons = Number(kinds.lesson || 0);
      if (!lessons) return '';
      const partnerships = Number(kinds.partnership || 0);
      return `: ${fmt(partnerships)} ${type} ${partnerships === 1 ? 'partnership' : 'partnerships'} and ${fmt(lessons)} ${lessons === 1 ? 'lesson' : 'lessons'} for them`;
    }
    if (state.kind === 'lesson' && kindCounts) {
      // Over all kinds the search lists the partnerships of the type and
      // the lessons for it, nothing else: the difference is the lessons.
      const applying = Number(kindCounts.all || 0) - Number(kindCounts.partnership || 0);
      return applying
        ? `; the ${fmt(applying)} for ${type} partnerships come first`
        : `; none is marked as applying to ${type} partnerships`;
    }
    return '';
  }

  function countText(data, kindCounts) {
    const what = state.q.trim() ? ` for “${state.q.trim()}”` : '';
    if (!data) return 'No results: the search failed.';
    const total = Number(data.total) || 0;
    if (total === 0) return `No results${what}. Try fewer words or remove a filter.`;
    const shown = (data.hits || []).length;
    const first = (Number(data.offset) || 0) + 1;
    const last = first + shown - 1;
    const noun = total === 1 ? 'result' : 'results';
    // A hybrid search counts the nearest records by meaning too: say how
    // many of the results share the query's words.
    const byMeaning = Number(data.retrieval && data.retrieval.by_meaning) || 0;
    const meaning = byMeaning > 0 && byMeaning < total
      ? ` (${fmt(total - byMeaning)} with its words, ${fmt(byMeaning)} more by meaning)`
      : '';
    const note = meaning + typeFilterNote(data, kindCounts);
    if (shown === 0) return `${fmt(total)} ${noun}${what} (none on this page)${note}`;
    if (shown === total) return `${fmt(total)} ${noun}${what}${note}`;
    return `${fmt(first)}–${fmt(last)} of ${fmt(total)} ${noun}${what}${note}`;
  }

  function renderResults(data, kindCounts) {
    const list = $('results');
    const count = $('result-count');
    list.textContent = '';
    count.textContent = countText(data, kindCounts);
    count.dataset.total = data ? String(Number(data.total) || 0) : '';
    // How the server read the query: plain words, corrected spellings.
    const notes = $('query-notes');
    const lines = (data && Array.isArray(data.notes)) ? data.notes : [];
    notes.textContent = lines.map((line) => line.charAt(0).toUpperCase() + line.slice(1)).join('. ');
    notes.hidden = lines.length === 0;
    const hits = (data && data.hits) || [];
    for (const hit of hits) list.append(resultItem(hit));
    if (data && hits.length === 0) {
      const relax = Array.isArray(data.relax) ? data.relax : [];
      const item = el('li', { class: 'empty-state', 'data-testid': 'empty-state' },
        el('p', { text: 'Nothing matches this search.' }));
      if (relax.length) {
        // The server counted what each filter's removal would give.
        item.append(el('p', { class: 'muted', text: 'Drop one filter:' }),
          el('ul', { class: 'relax-list' }, relax.map((r) => el('li', {},
            el('button', {
              type: 'button',
              class: 'small-button',
              'data-testid': `relax-${r.filter}`,
              'data-total': String(r.total),
              text: `Without ${r.filter === 'gold_only' ? 'human labels only' : `${axisName(r.filter)}: ${valueName(r.value)}`} (${r.total_exact ? '' : 'more than '}${fmt(r.total)})`,
              onclick: () => {
                if (r.filter === 'gold_only') state.gold_only = false;
                else if (r.filter === 'kind') state.kind = '';
                else state[r.filter] = [];
                state.offset = 0;
                syncControls();
                runSearch({ focusResults: true });
              },
            })))));
      } else {
        item.append(el('p', { class: 'muted', text: 'Check the spelling, use fewer or more general words, or clear the filters on the left.' }));
      }
      list.append(item);
    }
    renderPager(data);
    // The drawer's button says what closing it shows.
    const shownTotal = data ? Number(data.total) || 0 : 0;
    $('filters-done').textContent = data
      ? `Show ${fmt(shownTotal)} ${shownTotal === 1 ? 'result' : 'results'}`
      : 'Show results';
    $('filters-done').dataset.total = data ? String(shownTotal) : '';
    // The whole matching set, not the page, as the server writes it.
    const exportLink = $('export-csv');
    const total = data ? Number(data.total) || 0 : 0;
    exportLink.hidden = total === 0;
    if (total) {
      const params = new URLSearchParams(searchQuery());
      params.delete('limit');
      params.delete('offset');
      params.set('format', 'csv');
      exportLink.href = `api/search?${params.toString()}`;
      exportLink.setAttribute('aria-label', `Export all ${fmt(total)} results as CSV`);
    }
  }

  function partnershipMeta(record) {
    const bits = [];
    if (record.scope) bits.push(valueName(record.scope));
    if (record.start_year) bits.push(`since ${record.start_year}`);
    if (Array.isArray(record.partners) && record.partners.length) {
      bits.push(`${record.partners.length} ${record.partners.length === 1 ? 'partner' : 'partners'}`);
    }
    return bits.join(' · ');
  }

  function lessonMeta(record) {
    const bits = [];
    if (record.challenge) bits.push(`Challenge: ${valueName(record.challenge)}`);
    if (record.source) bits.push(`Source: ${record.source}`);
    return bits.join(' · ');
  }

  function resultItem(hit) {
    const record = hit.record || {};
    const kind = hit.kind === 'lesson' ? 'lesson' : 'partnership';
    const open = el('button', {
      type: 'button',
      class: 'result-open',
      'data-testid': 'result-title',
      onclick: (event) => {
        event.stopPropagation();
        openRecord(kind, hit.id, { title: hit.title });
      },
    }, hit.title || hit.id);
    const item = el('li', {
      class: `result result-${kind}`,
      'data-testid': 'result',
      'data-id': hit.id,
      'data-kind': kind,
    },
    el('div', { class: 'result-top' },
      el('span', { class: `kind-tag kind-${kind}`, text: valueName(kind) }),
      el('span', { class: 'result-meta', text: kind === 'lesson' ? lessonMeta(record) : partnershipMeta(record) })),
    el('h3', { class: 'result-title' }, open),
    el('p', { class: 'snippet', 'data-testid': 'result-snippet' }, snippetFragment(hit.snippet_html, hit.snippet)),
    labelBadges(hit.labels));
    // The whole card opens the record, unless the reader is selecting text.
    item.addEventListener('click', () => {
      const selection = window.getSelection();
      if (selection && String(selection).trim()) return;
      openRecord(kind, hit.id, { title: hit.title });
    });
    return item;
  }

  function labelBadges(labels, extraClass = '') {
    const box = el('div', { class: `badges ${extraClass}`.trim(), 'data-testid': 'label-badges' });
    const sorted = [...(labels || [])].sort((a, b) => CLASS_AXES.indexOf(a.axis) - CLASS_AXES.indexOf(b.axis));
    for (const label of sorted) box.append(labelBadge(label));
    return box;
  }

  function labelBadge(label) {
    const origin = ['gold', 'corrected'].includes(label.origin) ? label.origin : 'predicted';
    const what = `${axisName(label.axis)} ${valueName(label.label)}`;
    const day = String(label.at || '').slice(0, 10);
    const shown = {
      gold: 'gold',
      corrected: label.action === 'confirm' ? 'confirmed' : 'corrected',
      predicted: `predicted ${percent(label.probability)}`.trim(),
    }[origin];
    const help = {
      gold: `${what}: labelled by people (gold)`,
      corrected: `${what}: ${shown} by ${label.by || 'someone'} on ${day}${label.reason ? ` (“${label.reason}”)` : ''}${label.text_changed ? '; the text has changed since' : ''}`,
      predicted: `${what}: predicted by the classifier, probability ${percent(label.probability)}`,
    }[origin];
    return el('span', {
      class: `badge axis-${label.axis} is-${origin}`,
      'data-testid': 'label-badge',
      'data-axis': label.axis,
      'data-origin': origin,
      title: help,
    },
    el('span', { class: 'badge-axis', text: axisName(label.axis) }),
    el('span', { class: 'badge-value', text: valueName(label.label) }),
    el('span', { class: 'badge-origin', text: origin }));
  }

  function renderPager(data) {
    const prev = $('prev-page');
    const next = $('next-page');
    const info = $('page-info');
    const total = data ? Number(data.total) || 0 : 0;
    const offset = data ? Number(data.offset) || 0 : 0;
    const limit = data ? Number(data.limit) || state.limit : state.limit;
    const pages = Math.max(1, Math.ceil(total / limit));
    const page = Math.min(pages, Math.floor(offset / limit) + 1);
    $('pager').hidden = total <= PAGE_SIZES[0] && offset === 0;
    prev.disabled = offset <= 0;
    next.disabled = offset + limit >= total;
    info.textContent = total ? `Page ${page} of ${pages}` : '';
    // Page numbers: the first, the last and two either side of this one.
    const numbers = $('page-numbers');
    numbers.textContent = '';
    if (pages < 2) return;
    const shown = [...new Set([1, page - 2, page - 1, page, page + 1, page + 2, pages])]
      .filter((n) => n >= 1 && n <= pages)
      .sort((a, b) => a - b);
    let last = 0;
    for (const n of shown) {
      if (n > last + 1) numbers.append(el('span', { class: 'page-gap', 'aria-hidden': 'true', text: '…' }));
      const button = el('button', {
        type: 'button',
        class: 'page-number',
        'data-testid': `page-${n}`,
        'aria-label': `Page ${n}`,
        text: String(n),
        onclick: () => goToPage(n, limit),
      });
      if (n === page) button.setAttribute('aria-current', 'page');
      numbers.append(button);
      last = n;
    }
  }

  function goToPage(n, limit) {
    state.offset = (n - 1) * limit;
    runSearch({ focusResults: true });
    $('results-heading').scrollIntoView({ block: 'start', behavior: scrollBehavior() });
  }

  function page(step) {
    state.offset = Math.max(0, state.offset + step * state.limit);
    runSearch({ focusResults: true });
    $('results-heading').scrollIntoView({ block: 'start', behavior: scrollBehavior() });
  }

  // ---- Classification display (record view and classify panel) -----------

  function probabilityBars(probabilities, chosen) {
    const entries = Object.entries(probabilities || {})
      .filter(([, p]) => typeof p === 'number')
      .sort((a, b) => b[1] - a[1]);
    const list = el('ul', { class: 'prob-bars' });
    for (const [value, p] of entries) {
      const fill = el('span', { class: 'pb-fill' });
      fill.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
      list.append(el('li', { class: value === chosen ? 'is-chosen' : null, 'data-testid': 'probability' },
        el('span', { class: 'pb-name', text: valueName(value) }),
        el('span', { class: 'pb-track', 'aria-hidden': 'true' }, fill),
        el('span', { class: 'pb-value', text: percent(p) })));
    }
    return list;
  }

  function evidenceTerms(evidence) {
    const list = el('ul', { class: 'terms', 'data-testid': 'evidence-terms' });
    for (const item of evidence || []) {
      if (!item || typeof item.term !== 'string') continue;
      const where = item.source && item.source !== 'text' ? ` (${item.source})` : '';
      const weight = typeof item.weight === 'number' ? `weight ${item.weight >= 0 ? '+' : ''}${item.weight.toFixed(3)}` : '';
      list.append(el('li', { class: 'term', title: `${weight}${where}`.trim() || null }, `${item.term}${where}`));
    }
    return list;
  }

  /**
   * One axis: label and probability, a bar per class, evidence words and
   * the sentence that carries them. `gold` is the people's label, if any.
   */
  function axisBlock(axis, prediction, gold) {
    const block = el('section', { class: 'axis-block', 'data-testid': `axis-${axis}`, 'data-axis': axis });
    block.append(el('h4', { class: 'axis-head' },
      el('span', { class: 'axis-name', text: axisName(axis) }),
      el('span', { class: 'axis-label', 'data-testid': 'axis-label', text: valueName(prediction.label) }),
      el('span', { class: 'axis-prob', 'data-testid': 'axis-probability', text: percent(prediction.probability) })));
    if (gold) {
      const same = gold === prediction.label;
      block.append(el('p', { class: `gold-note ${same ? 'agrees' : 'differs'}` }, same
        ? `Agrees with the gold label (${valueName(gold)}).`
        : `People labelled this record ${valueName(gold)}; from the text alone the model says ${valueName(prediction.label)}.`));
    }
    block.append(probabilityBars(prediction.probabilities, prediction.label));
    const evidence = Array.isArray(prediction.evidence) ? prediction.evidence : [];
    if (evidence.length) {
      block.append(el('p', { class: 'sub-label', text: 'Words that point to this type' }), evidenceTerms(evidence));
    }
    if (typeof prediction.sentence === 'string' && prediction.sentence.trim()) {
      block.append(el('p', { class: 'sub-label', text: 'Strongest sentence' }),
        el('blockquote', { class: 'evidence-sentence', 'data-testid': 'evidence-sentence' },
          highlightTerms(prediction.sentence, evidence)));
    } else if (!evidence.length) {
      block.append(el('p', { class: 'muted small', text: 'No single word stood out; the type comes from the text as a whole.' }));
    }
    return block;
  }

  function classificationView(classification, labels) {
    const box = el('div', { class: 'classification', 'data-testid': 'classification' });
    if (!classification || typeof classification !== 'object') {
      box.append(el('p', { class: 'muted', text: 'The model has no classification for this record (it has no text to read).' }));
      return box;
    }
    const rank = (axis) => (CLASS_AXES.includes(axis) ? CLASS_AXES.indexOf(axis) : CLASS_AXES.length);
    const axes = Object.keys(classification).sort((a, b) => rank(a) - rank(b));
    for (const axis of axes) {
      const prediction = classification[axis];
      if (!prediction || typeof prediction !== 'object') continue;
      const gold = (labels || []).find((l) => l.axis === axis && l.origin === 'gold');
      box.append(axisBlock(axis, prediction, gold && gold.label));
    }
    return box;
  }

  // ---- Record view --------------------------------------------------------

  const recordHistory = []; // [{kind, id, title}] for the Back button
  let recordSeq = 0;
  let lastFocus = null;

  function currentRecordRef() {
    const dialog = $('record-view');
    if (!dialog.open || !recordHistory.length) return '';
    const top = recordHistory[recordHistory.length - 1];
    return `${top.kind}:${top.id}`;
  }

  function openRecord(kind, id, { title = '', fromRecord = false } = {}) {
    const dialog = $('record-view');
    if (!dialog.open) {
      lastFocus = document.activeElement;
      recordHistory.length = 0;
    }
    if (!fromRecord) recordHistory.length = 0;
    recordHistory.push({ kind, id, title });
    loadRecord();
    if (!dialog.open) dialog.showModal();
    $('record-close').focus();
  }

  async function loadRecord() {
    const seq = ++recordSeq;
    const { kind, id, title } = recordHistory[recordHistory.length - 1];
    $('record-back').hidden = recordHistory.length < 2;
    $('record-kind').textContent = valueName(kind);
    $('record-title').textContent = title || id;
    clearAllErrors();
    const content = $('record-content');
    content.textContent = '';
    content.append(el('p', { class: 'muted loading-line', text: 'Loading the record…' }));
    $('record-body').scrollTop = 0;
    writeUrl(`${kind}:${id}`);
    try {
      const path = kind === 'lesson' ? 'lessons' : 'partnerships';
      const data = await api(`api/${path}/${encodeURIComponent(id)}`);
      await statsLoaded;
      if (seq !== recordSeq) return;
      renderRecord(data, kind);
    } catch (err) {
      if (seq !== recordSeq) return;
      content.textContent = '';
      showError($('record-error'), err);
    }
  }

  function definition(term, ...values) {
    const kept = values.flat().filter((v) => v != null && v !== '');
    if (!kept.length) return [];
    return [el('dt', { text: term }), el('dd', {}, ...kept)];
  }

  function safeLink(url) {
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return url;
      return el('a', { href: parsed.href, target: '_blank', rel: 'noopener noreferrer' }, url);
    } catch (_) {
      return url;
    }
  }

  function tagList(values, className = 'tag') {
    if (!Array.isArray(values) || !values.length) return null;
    return el('ul', { class: 'tag-list' }, values.map((v) => el('li', { class: className, text: valueName(v) })));
  }

  function partnershipDetails(record) {
    const partners = Array.isArray(record.partners) && record.partners.length
      ? el('ul', { class: 'partner-list', 'data-testid': 'record-partners' }, record.partners.map((p) => el('li', {},
        el('span', { class: 'partner-name', text: p.name || '' }),
        p.sector ? el('span', { class: `sector sector-${p.sector}`, text: valueName(p.sector) }) : null)))
      : null;
    return el('dl', { class: 'facts' },
      definition('Partners', partners || el('span', { class: 'muted', text: 'No partner list in the record' })),
      definition('Lead', record.lead),
      definition('Themes', tagList(record.themes)),
      definition('Scope', record.scope ? valueName(record.scope) : null),
      definition('Started', record.start_year ? String(record.start_year) : null),
      definition('Website', record.url ? safeLink(record.url) : null),
      definition('Label confidence', record.confidence === 'low'
        ? 'Low: the annotators needed the codebook’s tie-breakers'
        : null),
      definition('Record id', el('code', { text: record.id || '' })));
  }

  function lessonDetails(record) {
    const applies = record.applies_to || {};
    const appliesTo = [...(applies.function || []), ...(applies.mode || [])];
    const examples = Array.isArray(record.examples) && record.examples.length
      ? el('ul', { class: 'example-list' }, record.examples.map((id) => el('li', {},
        el('button', {
          type: 'button',
          class: 'link-button',
          onclick: () => openRecord('partnership', id, { fromRecord: true }),
        }, id))))
      : null;
    return el('dl', { class: 'facts' },
      definition('Challenge', record.challenge
        ? el('span', { title: VALUE_HELP[record.challenge] || null, text: valueName(record.challenge) })
        : null),
      definition('Applies to', tagList(appliesTo)),
      definition('Source', record.source),
      definition('Example partnerships', examples),
      definition('Record id', el('code', { text: record.id || '' })));
  }

  /** The record's type as "Advocacy, Coordination" (gold label first). */
  function typeName(labels) {
    return TYPE_AXES.map((axis) => {
      const onAxis = (labels || []).filter((l) => l.axis === axis);
      const chosen = onAxis.find((l) => l.origin === 'gold') || onAxis[0];
      return chosen ? valueName(chosen.label) : null;
    }).filter(Boolean).join(', ');
  }

  function relatedList(hits, kind, labels) {
    const heading = kind === 'lesson' ? 'Example partnerships' : 'Lessons for partnerships of this type';
    const type = typeName(labels);
    const note = kind === 'lesson'
      ? 'The partnerships this lesson cites, then partnerships of the type it applies to that share its words.'
      : `Type: ${type || 'unknown'}. Lessons marked as applying to this type come first.`;
    const section = el('section', { class: 'related', 'aria-labelledby': 'related-heading', 'data-testid': 'related' },
      el('h3', { id: 'related-heading', text: heading }),
      el('p', { class: 'muted small related-note', text: note }));
    if (!hits || !hits.length) {
      section.append(el('p', { class: 'muted', text: kind === 'lesson' ? 'No example partnerships found.' : 'No lessons found for this type.' }));
      return section;
    }
    const list = el('ul', { class: 'related-list' });
    for (const hit of hits) {
      const relatedKind = hit.kind === 'lesson' ? 'lesson' : 'partnership';
      list.append(el('li', {},
        el('button', {
          type: 'button',
          class: 'related-item',
          'data-testid': 'related-item',
          'data-id': hit.id,
          onclick: () => openRecord(relatedKind, hit.id, { title: hit.title, fromRecord: true }),
        },
        el('span', { class: 'related-title', text: hit.title || hit.id }),
        el('span', { class: 'related-snippet', text: hit.snippet || '' }),
        labelBadges(hit.labels, 'compact'))));
    }
    section.append(list);
    return section;
  }

  function renderRecord(data, kind) {
    const record = data.record || {};
    $('record-title').textContent = data.title || record.name || record.title || data.id;
    const top = recordHistory[recordHistory.length - 1];
    if (top) top.title = $('record-title').textContent;
    const content = $('record-content');
    content.textContent = '';
    const text = kind === 'lesson' ? record.text : record.description;
    const main = el('div', { class: 'record-main' },
      labelBadges(data.labels, 'record-labels'),
      correctionPanel(data, kind),
      el('div', { class: 'record-text', 'data-testid': 'record-text' },
        ...String(text || '').split(/\n\s*\n/).filter((p) => p.trim()).map((p) => el('p', { text: p }))),
      kind === 'lesson' ? lessonDetails(record) : partnershipDetails(record));
    const side = el('div', { class: 'record-side' },
      el('h3', { text: 'Why this type' }),
      el('p', { class: 'muted small', text: 'What the classifier reads in the text, per axis.' }),
      classificationView(data.classification, data.labels));
    content.append(el('div', { class: 'record-columns' }, main, side), relatedList(data.related, kind, data.labels));
    // Like records, by meaning (sentence vectors): for a partnership, the
    // partnerships most like it and the lessons closest to its
    // description — the paper's ask of sharing lessons between like
    // partnerships. Loaded after the record so it never holds it up.
    const id = top ? top.id : data.id;
    if (kind === 'partnership') {
      content.append(similarList(kind, id, 'partnership', 'Partnerships most like this one',
        'By meaning of name and description, with their types.'));
      content.append(similarList(kind, id, 'lesson', 'Lessons closest to this description',
        'Lessons whose sentences are nearest in meaning to this partnership\'s description.'));
    } else {
      content.append(similarList(kind, id, 'lesson', 'Similar lessons',
        'Lessons nearest in meaning to this one.'));
    }
  }

  function similarList(kind, id, wanted, heading, note) {
    const headingId = `similar-${wanted}-heading`;
    const section = el('section', {
      class: 'related similar', 'aria-labelledby': headingId, 'aria-busy': 'true',
      'data-testid': `similar-${wanted}`,
    },
    el('h3', { id: headingId, text: heading }),
    el('p', { class: 'muted small related-note', text: note }),
    el('p', { class: 'muted loading-line', text: 'Finding similar records…' }));
    const seq = recordSeq;
    const path = kind === 'lesson' ? 'lessons' : 'partnerships';
    api(`api/${path}/${encodeURIComponent(id)}/similar?kind=${wanted}&limit=5`).then((data) => {
      if (seq !== recordSeq) return;
      section.querySelector('.loading-line').remove();
      section.setAttribute('aria-busy', 'false');
      const hits = data.hits || [];
      if (!hits.length) {
        section.append(el('p', { class: 'muted', text: 'None found: this index holds no sentence vectors for this record (partnerkb reindex adds them).' }));
        return;
      }
      const list = el('ul', { class: 'related-list' });
      for (const hit of hits) {
        const hitKind = hit.kind === 'lesson' ? 'lesson' : 'partnership';
        list.append(el('li', {},
          el('button', {
            type: 'button',
            class: 'related-item',
            'data-testid': 'similar-item',
            'data-id': hit.id,
            onclick: () => openRecord(hitKind, hit.id, { title: hit.title, fromRecord: true }),
          },
          el('span', { class: 'related-title', text: hit.title || hit.id }),
          el('span', { class: 'related-snippet', text: hit.snippet || '' }),
          labelBadges(hit.labels, 'compact'))));
      }
      section.append(list);
    }).catch((err) => {
      if (seq !== recordSeq) return;
      section.setAttribute('aria-busy', 'false');
      const line = section.querySelector('.loading-line');
      if (line) line.remove();
      section.append(el('p', { class: 'muted', text: `Similar records could not be loaded: ${err.message}` }));
    });
    return section;
  }

  // ---- Corrections --------------------------------------------------------

  // The write token and the corrector's name are asked for once: the token
  // is kept for this tab only, the name for this browser.
  const TOKEN_KEY = 'partnerkb-write-token';
  const NAME_KEY = 'partnerkb-name';
  let serverWrites = false;
  // Resolves when /api/stats has answered (it says whether the server
  // takes writes): a record opened from a shared URL waits for it, or its
  // Confirm/Change buttons would depend on which request came back first.
  let statsLoaded = Promise.resolve();

  function askWriter() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const by = localStorage.getItem(NAME_KEY);
    if (token && by) return Promise.resolve({ token, by });
    const dialog = $('token-dialog');
    $('token-input').value = token || '';
    $('name-input').value = by || '';
    dialog.showModal();
    (by ? $('token-input') : $('name-input')).focus();
    return new Promise((resolve) => {
      const form = $('token-form');
      const done = (event) => {
        event.preventDefault();
        form.removeEventListener('submit', done);
        const answer = { token: $('token-input').value.trim(), by: $('name-input').value.trim() };
        dialog.close();
        if (answer.token && answer.by) {
          sessionStorage.setItem(TOKEN_KEY, answer.token);
          localStorage.setItem(NAME_KEY, answer.by);
          resolve(answer);
        } else {
          resolve(null);
        }
      };
      form.addEventListener('submit', done);
      dialog.addEventListener('close', () => {
        form.removeEventListener('submit', done);
        resolve(null);
      }, { once: true });
    });
  }

  /** POST a correction; returns the API's answer or throws ApiError. */
  async function sendCorrection(kind, id, body) {
    const writer = await askWriter();
    if (!writer) throw new ApiError(403, 'Your name and the write token are needed to record corrections.');
    const path = kind === 'lesson' ? 'lessons' : 'partnerships';
    try {
      return await api(`api/${path}/${encodeURIComponent(id)}/labels`, {
        json: { ...body, by: writer.by },
        headers: { authorization: `Bearer ${writer.token}` },
      });
    } catch (err) {
      // A wrong token is forgotten so the next try asks again.
      if (err.status === 403) sessionStorage.removeItem(TOKEN_KEY);
      throw err;
    }
  }

  /**
   * A form to change one axis: a choice of class and a reason. `onDone`
   * gets the API's answer.
   */
  function changeForm(kind, id, axis, current, onDone) {
    const form = el('form', { class: 'change-form', 'data-testid': `change-form-${axis}` });
    const select = el('select', { 'aria-label': `New ${axisName(axis)}`, 'data-testid': 'change-value' });
    for (const value of FACET_VALUES[axis] || []) {
      select.append(el('option', { value, text: valueName(value) }));
    }
    const other = (FACET_VALUES[axis] || []).find((v) => v !== current);
    if (other) select.value = other;
    const reason = el('input', { type: 'text', required: true, placeholder: 'Why? (required)', 'aria-label': 'Reason', 'data-testid': 'change-reason' });
    const error = el('p', { class: 'alert', role: 'alert' });
    form.append(select, reason, el('button', { type: 'submit', class: 'primary', 'data-testid': 'change-save', text: 'Save' }), error);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearError(error);
      try {
        onDone(await sendCorrection(kind, id, { labels: { [axis]: select.value }, reason: reason.value }));
      } catch (err) {
        showError(error, err);
      }
    });
    return form;
  }

  function confirmLabel(kind, id, axis) {
    return sendCorrection(kind, id, { confirm: [axis] });
  }

  /** The record's labels with Confirm / Change per axis, and its trail. */
  function correctionPanel(data, kind) {
    const box = el('section', { class: 'corrections', 'data-testid': 'corrections' });
    const axes = kind === 'lesson' ? ['challenge'] : TYPE_AXES;
    const trail = el('ol', { class: 'trail', 'data-testid': 'trail' });
    const error = el('p', { class: 'alert', role: 'alert' });
    if (serverWrites) {
      for (const axis of axes) {
        const label = (data.labels || []).find((l) => l.axis === axis);
        const row = el('div', { class: 'correction-row', 'data-axis': axis });
        row.append(el('span', { class: 'correction-axis', text: axisName(axis) }),
          el('span', { class: 'correction-value', text: label ? valueName(label.label) : 'no label' }));
        const slot = el('div', { class: 'change-slot' });
        const refresh = () => loadRecord();
        if (label) {
          row.append(el('button', {
            type: 'button', class: 'small-button', 'data-testid': `confirm-${axis}`, text: 'Confirm',
            onclick: async () => {
              clearError(error);
              try { await confirmLabel(kind, data.id, axis); refresh(); } catch (err) { showError(error, err); }
            },
          }));
        }
        row.append(el('button', {
          type: 'button', class: 'small-button', 'data-testid': `change-${axis}`, text: 'Change',
          onclick: () => {
            slot.textContent = '';
            slot.append(changeForm(kind, data.id, axis, label && label.label, refresh));
            const first = slot.querySelector('select');
            if (first) first.focus();
          },
        }));
        box.append(row, slot);
      }
      box.append(error);
    }
    box.append(trail);
    const path = kind === 'lesson' ? 'lessons' : 'partnerships';
    api(`api/${path}/${encodeURIComponent(data.id)}/labels/history`).then((answer) => {
      const history = Array.isArray(answer.history) ? answer.history : [];
      if (!history.length) return;
      trail.before(el('h3', { class: 'sub-label', text: 'Corrections' }));
      for (const c of history) {
        const before = c.previous ? `${valueName(c.previous.label)} (${c.previous.origin})` : 'no label';
        const what = c.action === 'confirm'
          ? `${axisName(c.axis)} ${valueName(c.label)} confirmed`
          : `${axisName(c.axis)}: ${before} → ${valueName(c.label)}`;
        trail.append(el('li', { 'data-testid': 'trail-item' },
          el('span', { class: 'trail-when', text: `${String(c.at).slice(0, 10)} ${c.by}` }), ` ${what}`,
          c.reason ? el('span', { class: 'trail-reason', text: ` “${c.reason}”` }) : ''));
      }
    }).catch(() => {});
    return box;
  }

  // ---- Review queue --------------------------------------------------------

  const review = { items: [], skipped: new Set(), remaining: 0, axis: '' };

  async function loadReview() {
    const body = $('review-content');
    clearAllErrors();
    try {
      const params = new URLSearchParams({ limit: '50' });
      if (review.axis) params.set('axis', review.axis);
      const queue = await api(`api/review?${params}`);
      review.items = (queue.items || []).filter((i) => !review.skipped.has(`${i.id}:${i.axis}`));
      review.remaining = Number(queue.remaining) || 0;
      renderReview();
    } catch (err) {
      body.textContent = '';
      showError($('review-error'), err);
    }
  }

  function renderReview() {
    const body = $('review-content');
    body.textContent = '';
    $('review-count').textContent = `${fmt(review.remaining)} left to review`;
    const item = review.items[0];
    if (!item) {
      body.append(el('p', { class: 'muted', text: 'Nothing left to review here.' }));
      return;
    }
    const kind = item.kind;
    body.append(
      el('h3', { class: 'review-title', 'data-testid': 'review-title', 'data-id': item.id, 'data-axis': item.axis, text: item.title }),
      el('p', { class: 'review-label' },
        `${axisName(item.axis)}: `, el('strong', { text: valueName(item.label) }),
        ` (${percent(item.probability)})`,
        item.review ? el('span', { class: 'review-flag', text: item.reason ? ` flagged: ${item.reason}` : ' flagged for review' }) : ''),
      probabilityBars(item.probabilities, item.label));
    if (Array.isArray(item.evidence) && item.evidence.length) {
      body.append(el('p', { class: 'sub-label', text: 'Words that point to this type' }), evidenceTerms(item.evidence));
    }
    if (item.sentence) {
      body.append(el('blockquote', { class: 'evidence-sentence' }, highlightTerms(item.sentence, item.evidence || [])));
    }
    const slot = el('div', { class: 'change-slot', id: 'review-change-slot' });
    const error = el('p', { class: 'alert', role: 'alert', 'data-testid': 'review-action-error' });
    const next = () => loadReview();
    body.append(el('div', { class: 'review-actions' },
      el('button', { type: 'button', class: 'primary', 'data-testid': 'review-confirm', text: 'Confirm (c)',
        onclick: async () => {
          clearError(error);
          try { await confirmLabel(kind, item.id, item.axis); next(); } catch (err) { showError(error, err); }
        } }),
      el('button', { type: 'button', 'data-testid': 'review-change', text: 'Change (x)',
        onclick: () => {
          slot.textContent = '';
          slot.append(changeForm(kind, item.id, item.axis, item.label, next));
          slot.querySelector('select').focus();
        } }),
      el('button', { type: 'button', 'data-testid': 'review-skip', text: 'Skip (s)',
        onclick: () => { review.skipped.add(`${item.id}:${item.axis}`); review.items.shift(); renderReview(); } })),
      slot, error);
    // Keys act on the item, not on the axis selector that showModal focused.
    const confirm = body.querySelector('[data-testid="review-confirm"]');
    if (confirm && !body.contains(document.activeElement)) confirm.focus();
  }

  function openReview() {
    review.skipped.clear();
    $('review-view').showModal();
    loadReview();
  }

  function reviewKeys(event) {
    const target = event.target;
    if (target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    const key = event.key.toLowerCase();
    const ids = { c: 'review-confirm', x: 'review-change', s: 'review-skip', arrowright: 'review-skip' };
    const button = ids[key] && document.querySelector(`[data-testid="${ids[key]}"]`);
    if (button) {
      event.preventDefault();
      button.click();
    }
  }

  function closeRecord() {
    const dialog = $('record-view');
    if (dialog.open) dialog.close();
  }

  function onRecordClosed() {
    recordHistory.length = 0;
    recordSeq++;
    writeUrl('');
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
  }

  // ---- Classify panel -----------------------------------------------------

  let classifySeq = 0;

  async function classify(event) {
    event.preventDefault();
    const text = $('classify-text').value;
    const kind = $('classify-kind').value;
    const result = $('classify-result');
    const error = $('classify-error');
    clearAllErrors();
    if (!text.trim()) {
      result.textContent = '';
      showError(error, new ApiError(400, 'no text', 'empty_text'));
      $('classify-text').focus();
      return;
    }
    const seq = ++classifySeq;
    const button = $('classify-button');
    button.disabled = true;
    result.setAttribute('aria-busy', 'true');
    try {
      const data = await api('api/classify', { json: { text, kind } });
      if (seq !== classifySeq) return;
      clearError(error);
      result.textContent = '';
      result.append(el('p', { class: 'sub-label', text: `Predicted type of this ${valueName(data.kind || kind).toLowerCase()}` }),
        classificationView(data.classification, []));
      result.scrollIntoView({ block: 'nearest', behavior: scrollBehavior() });
    } catch (err) {
      if (seq !== classifySeq) return;
      result.textContent = '';
      showError(error, err);
    } finally {
      if (seq === classifySeq) {
        button.disabled = false;
        result.setAttribute('aria-busy', 'false');
      }
    }
  }

  // ---- Registry chart -----------------------------------------------------

  function chartGroup(axis, counts, goldCounts, note) {
    const values = [...FACET_VALUES[axis], ...Object.keys(counts).filter((v) => !FACET_VALUES[axis].includes(v))];
    const max = Math.max(1, ...values.map((v) => Number(counts[v] || 0)));
    const rows = el('ul', { class: 'chart-rows' });
    for (const value of values) {
      const total = Number(counts[value] || 0);
      const gold = Math.min(total, Number((goldCounts || {})[value] || 0));
      const goldBar = el('span', { class: 'cr-gold' });
      const predBar = el('span', { class: 'cr-pred' });
      goldBar.style.width = `${(gold / max) * 100}%`;
      predBar.style.width = `${((total - gold) / max) * 100}%`;
      const predicted = total - gold;
      rows.append(el('li', {}, el('button', {
        type: 'button',
        class: 'chart-row',
        'data-testid': `chart-${axis}-${value}`,
        'data-count': String(total),
        title: VALUE_HELP[value] || null,
        'aria-label': `${valueName(value)}: ${fmt(total)} records, ${fmt(gold)} gold and ${fmt(predicted)} predicted. Show them.`,
        onclick: () => {
          state.kind = '';
          for (const key of FACET_AXES) state[key] = [];
          state[axis] = [value];
          state.kind = axis === 'challenge' ? 'lesson' : 'partnership';
          state.offset = 0;
          syncControls();
          runSearch({ focusResults: true });
        },
      },
      el('span', { class: 'cr-name', text: valueName(value) }),
      el('span', { class: 'cr-track', 'aria-hidden': 'true' }, goldBar, predBar),
      el('span', { class: 'cr-count', text: fmt(total) }))));
    }
    return el('div', { class: 'chart-group' },
      el('h3', {}, axisName(axis), note ? el('span', { class: 'facet-hint', text: note }) : null),
      rows);
  }

  async function loadStats() {
    const chart = $('stats-chart');
    try {
      const stats = await api('api/stats');
      serverWrites = stats.writes === true;
      $('review-open').hidden = false;
      const facets = stats.facets || {};
      const gold = stats.gold || {};
      chart.textContent = '';
      chart.append(
        chartGroup('function', facets.function || {}, gold.function, 'partnerships'),
        chartGroup('mode', facets.mode || {}, gold.mode, 'partnerships'),
        chartGroup('challenge', facets.challenge || {}, gold.challenge, 'lessons'),
        el('p', { class: 'chart-legend', 'aria-hidden': 'true' },
          el('span', { class: 'legend-swatch gold' }), 'gold',
          el('span', { class: 'legend-swatch predicted' }), 'predicted'));
      const kinds = facets.kind || {};
      const total = Number(stats.total) || 0;
      $('header-total').textContent = `${fmt(total)} records indexed · ${fmt(Number(kinds.partnership || 0))} partnerships · ${fmt(Number(kinds.lesson || 0))} lessons`;
      clearError($('stats-error'));
    } catch (err) {
      showError($('stats-error'), `The registry overview could not be loaded: ${err.message}`);
    }
  }

  // ---- Wiring -------------------------------------------------------------

  async function init() {
    try {
      await loadTypology();
    } catch (err) {
      showError($('search-error'), `The page could not load the typology from the server: ${err.message}`);
      return;
    }
    buildChips();
    const recordRef = readUrl();
    syncControls();

    $('search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      state.q = $('q').value;
      state.offset = 0;
      runSearch();
    });
    for (const radio of document.querySelectorAll('input[name="kind"]')) {
      radio.addEventListener('change', () => {
        state.kind = radio.value;
        state.offset = 0;
        runSearch();
      });
    }
    $('gold-only').addEventListener('change', (event) => {
      state.gold_only = event.target.checked;
      state.offset = 0;
      runSearch();
    });
    $('clear-filters').addEventListener('click', () => {
      state.kind = '';
      for (const key of FACET_AXES) state[key] = [];
      state.gold_only = false;
      state.offset = 0;
      syncControls();
      runSearch();
    });
    // The phone's filter drawer.
    const drawer = $('filters');
    const openFilters = () => {
      drawer.classList.add('is-open');
      $('filters-open').setAttribute('aria-expanded', 'true');
      const first = drawer.querySelector('input, button:not([disabled])');
      if (first) first.focus();
    };
    const closeFilters = () => {
      if (!drawer.classList.contains('is-open')) return;
      drawer.classList.remove('is-open');
      $('filters-open').setAttribute('aria-expanded', 'false');
      $('results-heading').focus();
    };
    $('filters-open').addEventListener('click', openFilters);
    $('filters-done').addEventListener('click', closeFilters);
    drawer.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') closeFilters();
    });
    $('sort').addEventListener('change', (event) => {
      state.sort = SORTS.includes(event.target.value) ? event.target.value : '';
      state.offset = 0;
      runSearch();
    });
    $('prev-page').addEventListener('click', () => page(-1));
    $('page-size').addEventListener('change', (event) => {
      const size = Number(event.target.value);
      state.limit = PAGE_SIZES.includes(size) ? size : PAGE_SIZE;
      // Stay on the page that holds the first result shown.
      state.offset = Math.floor(state.offset / state.limit) * state.limit;
      runSearch({ focusResults: true });
    });
    $('next-page').addEventListener('click', () => page(1));

    const dialog = $('record-view');
    $('record-close').addEventListener('click', closeRecord);
    $('record-back').addEventListener('click', () => {
      if (recordHistory.length > 1) {
        recordHistory.pop();
        loadRecord();
        $('record-close').focus();
      }
    });
    dialog.addEventListener('close', onRecordClosed);
    // A click on the backdrop lands on the dialog element itself.
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) closeRecord();
    });

    $('review-open').addEventListener('click', openReview);
    $('review-close').addEventListener('click', () => $('review-view').close());
    $('review-view').addEventListener('keydown', reviewKeys);
    $('review-view').addEventListener('close', () => runSearch());
    $('review-axis').addEventListener('change', (event) => {
      review.axis = event.target.value;
      loadReview();
    });

    $('classify-form').addEventListener('submit', classify);
    $('classify-text').addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        $('classify-form').requestSubmit();
      }
    });

    // "/" jumps to the search box, as on many search sites.
    document.addEventListener('keydown', (event) => {
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target;
      const typing = target instanceof HTMLElement
        && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
      if (typing || dialog.open) return;
      event.preventDefault();
      $('q').focus();
      $('q').select();
    });

    runSearch();
    statsLoaded = loadStats();
    if (recordRef) {
      const split = recordRef.indexOf(':');
      const kind = recordRef.slice(0, split);
      const id = recordRef.slice(split + 1);
      if (split > 0 && id && (kind === 'partnership' || kind === 'lesson')) openRecord(kind, id);
    }
  }

  // Back and Forward walk through searches: restore the state the URL
  // holds, search again, and open or close the record it names.
  window.addEventListener('popstate', () => {
    restoringHistory = true;
    try {
      const recordRef = readUrl();
      syncControls();
      runSearch();
      const split = recordRef ? recordRef.indexOf(':') : -1;
      if (split > 0) openRecord(recordRef.slice(0, split), recordRef.slice(split + 1));
      else closeRecord();
    } finally {
      restoringHistory = false;
    }
  });

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
