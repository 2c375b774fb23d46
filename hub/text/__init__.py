"""Human-language text, one toolkit for every tier: folding, language detection, number words."""
