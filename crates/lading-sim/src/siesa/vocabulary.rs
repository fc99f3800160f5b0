//! Words for a furniture, bedding and textile retailer's catalogue, so generated items read like
//! the real thing (accented letters and all) and exercise padding and truncation.

use rand::Rng;
use rand::seq::IndexedRandom;

/// A product family: Siesa's inventory type, the reference prefix and plausible weights and packs.
pub(crate) struct Category {
    pub(crate) inventory_type: &'static str,
    pub(crate) reference_prefix: &'static str,
    pub(crate) weight_kg: (f64, f64),
    /// Pack units with their factor; `UND` means the item ships on its own.
    pub(crate) packs: &'static [(&'static str, u32)],
    nouns: &'static [&'static str],
    variants: &'static [&'static str],
    sized: bool,
}

pub(crate) const CATEGORIES: [Category; 5] = [
    Category {
        inventory_type: "INV01",
        reference_prefix: "COL",
        weight_kg: (12.0, 45.0),
        packs: &[("UND", 1)],
        nouns: &["COLCHON"],
        variants: &[
            "RESORTADO",
            "ESPUMA ALTA DENSIDAD",
            "HIBRIDO",
            "ORTOPEDICO",
            "PILLOW TOP",
            "MEMORY FOAM",
            "POCKET",
        ],
        sized: true,
    },
    Category {
        inventory_type: "INV02",
        reference_prefix: "BAS",
        weight_kg: (15.0, 60.0),
        packs: &[("CAJ", 1), ("CAJ", 2)],
        nouns: &["BASE CAMA", "CABECERO", "CAMA NIDO", "BASE CAMA"],
        variants: &["AJUSTABLE", "DIVIDIDA", "TAPIZADA", "CON CAJONES", "METALICA"],
        sized: true,
    },
    Category {
        inventory_type: "INV03",
        reference_prefix: "LEN",
        weight_kg: (0.3, 3.0),
        packs: &[("PAQ", 6), ("PAQ", 12), ("UND", 1)],
        nouns: &[
            "SABANA ALGODON 200 HILOS",
            "JUEGO SABANAS MICROFIBRA",
            "CUBRELECHO",
            "PROTECTOR COLCHON",
            "FUNDA ALMOHADA PERCAL",
            "EDREDON PLUMON",
            "ALMOHADA",
        ],
        variants: &["", "IMPERMEABLE", "HIPOALERGENICO", "SATINADO", "ANTIÁCAROS"],
        sized: true,
    },
    Category {
        inventory_type: "INV04",
        reference_prefix: "MUE",
        weight_kg: (5.0, 70.0),
        packs: &[("CAJ", 1), ("CAJ", 2), ("CAJ", 4)],
        nouns: &[
            "SOFA 3 PUESTOS",
            "SOFA 2 PUESTOS",
            "SOFA CAMA",
            "POLTRONA",
            "MESA NOCHE",
            "COMODA 6 CAJONES",
            "SILLA COMEDOR",
            "MESA CENTRO",
        ],
        variants: &["TELA", "CUERO SINTETICO", "MADERA", "ROBLE", "PINO", "LINO"],
        sized: false,
    },
    Category {
        inventory_type: "INV05",
        reference_prefix: "TEX",
        weight_kg: (0.2, 8.0),
        packs: &[("PAQ", 12), ("PAQ", 24), ("UND", 1)],
        nouns: &[
            "CORTINA BLACKOUT 140X220",
            "CORTINA LINO 280X220",
            "COJIN DECORATIVO 45X45",
            "TAPETE SHAGGY 160X230",
            "TAPETE 120X170",
            "MANTA TEJIDA 130X170",
            "TOALLA BAÑO 70X140",
            "TOALLA MANOS 40X70",
            "CAMINO MESA 35X180",
        ],
        variants: &["", "JACQUARD", "ALGODÓN", "TERMICA"],
        sized: false,
    },
];

/// (size words, `f120_talla` code) for bed-sized items.
const BED_SIZES: [(&str, &str); 5] = [
    ("SENCILLO 100X190", "S"),
    ("SEMIDOBLE 120X190", "SD"),
    ("DOBLE 140X190", "D"),
    ("QUEEN 160X190", "Q"),
    ("KING 200X200", "K"),
];

const COLORS: [&str; 14] = [
    "BLANCO",
    "NEGRO",
    "GRIS",
    "GRIS OSCURO",
    "AZUL",
    "AZUL NAVY",
    "BEIGE",
    "CAFE",
    "VERDE",
    "ROSADO",
    "MOSTAZA",
    "TERRACOTA",
    "ARENA",
    "MARFIL",
];

const NOTES: [&str; 4] = ["PRODUCTO IMPORTADO", "VER FICHA TECNICA", "GARANTIA 5 AÑOS", "SOLO VENTA TIENDA"];

/// How an item reads: description, short description, colour and size code.
pub(crate) struct Look {
    pub(crate) description: String,
    pub(crate) short_description: String,
    pub(crate) color: String,
    pub(crate) size_code: String,
}

pub(crate) fn describe(category: &Category, rng: &mut impl Rng) -> Look {
    let noun = category.nouns.choose(rng).copied().unwrap_or("ARTICULO");
    let variant = category.variants.choose(rng).copied().unwrap_or("");
    let color = COLORS.choose(rng).copied().unwrap_or("BLANCO");
    let (size, size_code) =
        if category.sized { BED_SIZES.choose(rng).copied().unwrap_or(("", "U")) } else { ("", "U") };
    let color_word = if category.sized && category.inventory_type == "INV01" { "" } else { color };
    let words: Vec<&str> = [noun, variant, size, color_word].into_iter().filter(|word| !word.is_empty()).collect();
    let description = truncate_chars(&words.join(" "), 40);
    let first_word = noun.split(' ').next().unwrap_or(noun);
    let size_word = size.split(' ').next().unwrap_or("");
    let short_description = truncate_chars(format!("{first_word} {size_word}").trim(), 20);
    let color = if color_word.is_empty() { "BLANCO" } else { color };
    Look { description, short_description, color: color.to_string(), size_code: size_code.to_string() }
}

/// Free-text notes: mostly blank, like the real field.
pub(crate) fn notes(rng: &mut impl Rng, active: bool) -> String {
    if !active {
        return "DESCONTINUADO".to_string();
    }
    if rng.random_bool(0.85) { String::new() } else { NOTES.choose(rng).copied().unwrap_or_default().to_string() }
}

/// At most `limit` characters (not bytes: descriptions carry Ñ and accents).
pub(crate) fn truncate_chars(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect::<String>().trim_end().to_string()
}

/// Right-pads with spaces to `width` characters, the way Siesa's fixed-width columns arrive.
pub(crate) fn pad(text: &str, width: usize) -> String {
    let length = text.chars().count();
    let mut padded = String::with_capacity(text.len() + width.saturating_sub(length));
    padded.push_str(text);
    padded.extend(std::iter::repeat_n(' ', width.saturating_sub(length)));
    padded
}
