import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

/**
 * zod's English issue messages ("Too small: expected number to be >=1", …), which the 400s quote
 * (validate.ts). zod's mini API, which src/ uses for a smaller bundle and less startup work, loads
 * no locale of its own, unlike its classic API: without this every message would be zod's generic
 * "Invalid input". Imported for its effect by the modules that parse; the config is zod's, global.
 */
z.config(en());
