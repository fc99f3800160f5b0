//! A change to a JSON document for the fuzz targets: the node a path of child picks reaches
//! (each step picks a child modulo the count; a path that runs into a leaf stops there) is
//! replaced or removed. Shared with `crates/lading-connect/tests/fuzz_sources.rs` by `#[path]`.

use serde_json::Value;

#[derive(Clone, Debug)]
pub enum Edit {
    Replace(Vec<usize>, Value),
    Remove(Vec<usize>),
}

impl Edit {
    pub fn apply(&self, document: &mut Value) {
        match self {
            Edit::Replace(path, value) => edit_at(document, path, Some(value)),
            Edit::Remove(path) => edit_at(document, path, None),
        }
    }
}

fn edit_at(node: &mut Value, path: &[usize], replacement: Option<&Value>) {
    let Some((step, rest)) = path.split_first() else {
        if let Some(value) = replacement {
            *node = value.clone();
        }
        return;
    };
    match node {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(step % map.len()).cloned().unwrap_or_default();
            if rest.is_empty() && replacement.is_none() {
                map.remove(&key);
            } else if let Some(child) = map.get_mut(&key) {
                edit_at(child, rest, replacement);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let index = step % items.len();
            if rest.is_empty() && replacement.is_none() {
                items.remove(index);
            } else {
                edit_at(&mut items[index], rest, replacement);
            }
        }
        _ => {
            if let Some(value) = replacement {
                *node = value.clone();
            }
        }
    }
}
