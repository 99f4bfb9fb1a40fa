"""The EU reference tables: countries, NUTS regions, CCI codes, 2021-2027 specific objectives."""
