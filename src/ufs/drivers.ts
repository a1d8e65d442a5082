/** Registers every built-in driver; each registration imports its SDK only on first use. */
import './local/register.js';
import './s3/register.js';
import './oss/register.js';
