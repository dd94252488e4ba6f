"""The sitemap: public profiles in both languages."""
