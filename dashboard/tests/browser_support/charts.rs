//! What a chart on a page really shows: the browser loads the `<img>`, and the same SVG,
//! fetched and parsed in the page, is reduced to its data marks (coloured polylines with their
//! extent, circles, shaded partition windows), so a test can tell a drawn chart from an empty
//! frame or a "chart unavailable" message.

use serde::Deserialize;
use serde_json::json;

use super::session::Browser;

/// One coloured polyline of three or more points (axes and legend swatches are excluded).
#[derive(Debug, Clone, Deserialize)]
pub struct Series {
    pub stroke: String,
    pub points: usize,
    /// Horizontal and vertical extent in SVG pixels.
    pub x_span: f64,
    pub y_span: f64,
    /// Every point finite and inside the SVG.
    pub inside: bool,
}

/// A chart as the browser got it.
#[derive(Debug, Clone, Deserialize)]
pub struct ChartStats {
    pub src: String,
    pub status: u16,
    pub content_type: String,
    pub parse_error: bool,
    /// The SVG's own size.
    pub width: f64,
    pub height: f64,
    /// The decoded image's size, and its size on the page.
    pub natural_width: f64,
    pub natural_height: f64,
    pub shown_width: f64,
    pub shown_height: f64,
    pub series: Vec<Series>,
    /// Circles inside the SVG, and their distinct fill/stroke colours.
    pub circles: usize,
    pub circle_colors: Vec<String>,
    /// Shaded partition windows.
    pub shaded: usize,
    pub texts: Vec<String>,
}

const SCRIPT: &str = r#"
const sel = arguments[0], done = arguments[arguments.length - 1];
(async () => {
  const img = document.querySelector(sel);
  if (!img) throw new Error('no element ' + sel);
  if (!img.complete) {
    await new Promise(r => { img.addEventListener('load', r, { once: true });
                             img.addEventListener('error', r, { once: true }); });
  }
  const src = img.currentSrc || img.src;
  const res = await fetch(src);
  const text = await res.text();
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  const w = Number(svg.getAttribute('width')), h = Number(svg.getAttribute('height'));
  const inside = (x, y) => Number.isFinite(x) && Number.isFinite(y) && x >= 0 && x <= w && y >= 0 && y <= h;
  const up = s => (s || '').toUpperCase();
  const series = [];
  for (const p of doc.querySelectorAll('polyline')) {
    const stroke = up(p.getAttribute('stroke'));
    const pts = (p.getAttribute('points') || '').trim().split(/\s+/).filter(Boolean)
      .map(s => s.split(',').map(Number));
    if (stroke === '#000000' || stroke === 'NONE' || pts.length < 3) continue;
    const xs = pts.map(q => q[0]), ys = pts.map(q => q[1]);
    series.push({ stroke, points: pts.length,
      x_span: Math.max(...xs) - Math.min(...xs), y_span: Math.max(...ys) - Math.min(...ys),
      inside: pts.every(([x, y]) => inside(x, y)) });
  }
  const circles = [...doc.querySelectorAll('circle')]
    .filter(c => inside(Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))));
  const colors = new Set();
  for (const c of circles) {
    for (const a of ['fill', 'stroke']) {
      const v = up(c.getAttribute(a));
      if (v.startsWith('#')) colors.add(v);
    }
  }
  const shaded = [...doc.querySelectorAll('rect')].filter(r => up(r.getAttribute('fill')) === '#D0D4D9').length;
  const box = img.getBoundingClientRect();
  return { src, status: res.status, content_type: res.headers.get('content-type') || '',
    parse_error: doc.querySelector('parsererror') !== null, width: w, height: h,
    natural_width: img.naturalWidth, natural_height: img.naturalHeight,
    shown_width: box.width, shown_height: box.height, series,
    circles: circles.length, circle_colors: [...colors].sort(), shaded,
    texts: [...doc.querySelectorAll('text')].map(t => t.textContent) };
})().then(done, e => done({ error: String(e) }));
"#;

/// Loads and measures the chart image `css` of the current page, and checks what every
/// drawn chart must be: a 900×420 SVG served 200 as `image/svg+xml`, decoded by the browser,
/// shown at a real size, and not a message.
pub async fn chart(browser: &Browser, css: &str) -> ChartStats {
    let v: serde_json::Value = browser.js_async(SCRIPT, vec![json!(css)]).await;
    if let Some(e) = v.get("error") {
        panic!("chart {css}: {e}");
    }
    let c: ChartStats = serde_json::from_value(v.clone())
        .unwrap_or_else(|e| panic!("chart {css}: result {v} does not decode: {e}"));
    let what = format!("chart {css} ({})", c.src);
    assert_eq!(c.status, 200, "{what}: status");
    assert!(
        c.content_type.starts_with("image/svg+xml"),
        "{what}: content type {}",
        c.content_type
    );
    assert!(!c.parse_error, "{what}: not well-formed SVG");
    assert_eq!((c.width, c.height), (900.0, 420.0), "{what}: size {c:?}");
    assert_eq!(
        (c.natural_width, c.natural_height),
        (900.0, 420.0),
        "{what}: the browser did not decode the image"
    );
    assert!(
        c.shown_width >= 300.0 && c.shown_height >= 100.0,
        "{what}: shown at {}x{}",
        c.shown_width,
        c.shown_height
    );
    assert!(
        !c.texts.iter().any(|t| t.contains("unavailable")),
        "{what}: says {:?}",
        c.texts
    );
    for s in &c.series {
        assert!(s.inside, "{what}: series {s:?} leaves the SVG");
    }
    c
}

impl ChartStats {
    /// Series that really trace something: `min_points` points or more, spanning at least
    /// 100 px across.
    pub fn lines(&self, min_points: usize) -> Vec<&Series> {
        self.series
            .iter()
            .filter(|s| s.points >= min_points && s.x_span >= 100.0)
            .collect()
    }

    /// Distinct colours of those series.
    pub fn line_colors(&self, min_points: usize) -> Vec<String> {
        let mut c: Vec<String> = self
            .lines(min_points)
            .iter()
            .map(|s| s.stroke.clone())
            .collect();
        c.sort();
        c.dedup();
        c
    }
}
