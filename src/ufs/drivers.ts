/** Registers every built-in driver; each registration imports its SDK only on first use. */
import './kodo/register.js';
import './local/register.js';
import './oss/register.js';
import './s3/register.js';
