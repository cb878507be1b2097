//! The page shell shared by every page: head, navigation, stylesheet link.

use maud::{html, Markup, DOCTYPE};

/// A full HTML page. `page_id` becomes the body's id (`runs`, `run`, `compare`, `trend`).
pub fn page(title: &str, page_id: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · glomers dashboard" }
                link rel="stylesheet" href="/assets/style.css";
                link rel="icon" href="/assets/favicon.svg" type="image/svg+xml";
            }
            body id={ "page-" (page_id) } {
                nav #nav {
                    a.brand href="/" { "glomers" }
                    a href="/" { "Runs" }
                    a href="/compare" { "Compare" }
                    a href="/trend" { "Trend" }
                    a href="/metrics" { "Metrics" }
                    a href="/api/runs" { "API" }
                }
                main #content { (body) }
            }
        }
    }
}
