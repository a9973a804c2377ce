//! Durations as GitLab reads them (ChronicDuration for `timeout`/`start_in`, plus `never` for
//! `artifacts:expire_in` via `Gitlab::Ci::Build::DurationParser`).

/// Seconds in a ChronicDuration-style text such as `1 week`, `3 days 4 hours`, `1h 30m`,
/// `90 minutes` or `3600`. `None` when it is not a duration.
pub fn parse_seconds(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    if text.is_empty() {
        return None;
    }
    if let Ok(n) = text.parse::<f64>() {
        return (n >= 0.0).then_some(n as u64);
    }
    if let Some(clock) = parse_clock(&text) {
        return Some(clock);
    }
    let mut total = 0f64;
    let mut rest = text.as_str();
    let mut matched = false;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        rest = rest.strip_prefix("and ").unwrap_or(rest);
        if rest.is_empty() {
            break;
        }
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return None;
        }
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = rest[number_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let factor = unit_seconds(unit)?;
        total += number * factor;
        matched = true;
        rest = &rest[unit_len..];
    }
    matched.then_some(total as u64)
}

fn parse_clock(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut total = 0u64;
    for part in parts {
        total = total * 60 + part.parse::<u64>().ok()?;
    }
    Some(total)
}

fn unit_seconds(unit: &str) -> Option<f64> {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 3600.0;
    const DAY: f64 = 86_400.0;
    Some(match unit {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => MINUTE,
        "h" | "hr" | "hrs" | "hour" | "hours" => HOUR,
        "d" | "day" | "days" => DAY,
        "w" | "wk" | "wks" | "week" | "weeks" => 7.0 * DAY,
        "mo" | "mos" | "month" | "months" => 30.0 * DAY,
        "y" | "yr" | "yrs" | "year" | "years" => 365.0 * DAY,
        _ => return None,
    })
}

pub const WEEK: u64 = 7 * 86_400;

#[cfg(test)]
mod tests {
    use super::parse_seconds;

    // Source: GitLab docs ci/yaml/_index.md (timeout, start_in, expire_in examples: "3 hours 30 minutes",
    // "1 week", "30 minutes", "1h 30m", "3600"), parsed by the chronic_duration gem.
    #[test]
    fn durations_from_the_docs() {
        assert_eq!(parse_seconds("1 week"), Some(604_800));
        assert_eq!(parse_seconds("3 hours 30 minutes"), Some(12_600));
        assert_eq!(parse_seconds("1h 30m"), Some(5_400));
        assert_eq!(parse_seconds("30 minutes"), Some(1_800));
        assert_eq!(parse_seconds("3600"), Some(3_600));
        assert_eq!(parse_seconds("2 days and 3 hours"), Some(183_600));
        assert_eq!(parse_seconds("1 month"), Some(2_592_000));
        assert_eq!(parse_seconds("soon"), None);
        assert_eq!(parse_seconds(""), None);
    }
}
