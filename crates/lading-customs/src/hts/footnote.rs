//! Chapter 99 numbers mentioned in footnote texts: `See 9903.88.03.`, `See headings 9903.88.01
//! and 9903.88.02`, lists and ranges (`9904.17.17-9904.17.48`, `9903.52.00 through 9903.52.26`,
//! where both ends are mentioned and so both are kept).

/// What a footnote text says about Chapter 99.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chapter99Mentions {
    /// Every full Chapter 99 number mentioned (`99xx.xx.xx` or `99xx.xx.xx.xx`), dotted, in the
    /// order of the text, without repeats.
    pub numbers: Vec<String>,
    /// Mentions too short to be a number (`See 9903.92.`), as written.
    pub incomplete: Vec<String>,
}

/// Finds the Chapter 99 numbers a footnote mentions. Any heading of the chapter counts
/// (9902 MTB, 9903 additional duties, 9904 quotas …); Chapter 98 numbers and note numbers do
/// not. A 10-digit number written `9903.88.0301` is read as `9903.88.03.01`.
pub fn chapter99_mentions(text: &str) -> Chapter99Mentions {
    let mut mentions = Chapter99Mentions::default();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = find_from(bytes, at) {
        let (end, groups) = scan_number(bytes, found);
        at = end.max(found + 1);
        match groups.len() {
            3 | 4 => push_unique(&mut mentions.numbers, groups.join(".")),
            2 => push_unique(&mut mentions.incomplete, groups.join(".")),
            _ => {}
        }
    }
    mentions
}

/// The next `99` at a number's start (not inside another number) from `at` on.
fn find_from(bytes: &[u8], at: usize) -> Option<usize> {
    (at..bytes.len().saturating_sub(1)).find(|&i| {
        bytes[i] == b'9' && bytes[i + 1] == b'9' && (i == 0 || !(bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.'))
    })
}

/// Reads `99dd` then up to three `.dd` groups (the last may be written without its dot)
/// starting at `start`; returns where reading stopped and the groups read. A group followed by
/// more digits spoils the match (it is some other number), giving no groups.
fn scan_number(bytes: &[u8], start: usize) -> (usize, Vec<&str>) {
    let digits_at = |i: usize, n: usize| bytes.len() >= i + n && bytes[i..i + n].iter().all(u8::is_ascii_digit);
    let digit_at = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let group = |i: usize, n: usize| std::str::from_utf8(&bytes[i..i + n]).unwrap_or_default();

    if !digits_at(start, 4) || digit_at(start + 4) {
        return (start + 2, Vec::new());
    }
    let mut groups = vec![group(start, 4)];
    let mut i = start + 4;
    while groups.len() < 4 {
        if bytes.get(i) == Some(&b'.') && digits_at(i + 1, 2) {
            if digit_at(i + 3) {
                // `9903.88.0301`: the statistical suffix written without its dot.
                if groups.len() == 2 && digits_at(i + 3, 2) && !digit_at(i + 5) {
                    groups.push(group(i + 1, 2));
                    groups.push(group(i + 3, 2));
                    return (i + 5, groups);
                }
                return (i + 3, Vec::new());
            }
            groups.push(group(i + 1, 2));
            i += 3;
        } else {
            break;
        }
    }
    (i, groups)
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}
