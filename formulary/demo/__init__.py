"""The demo clinic that `formulary setup --demo` loads; loading it twice changes nothing."""
