//! Reading MySQL/MariaDB rows exactly, in key order.
