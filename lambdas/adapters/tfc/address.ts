/**
 * The TFC address when none is configured. Its own module so that functions which only need the address
 * (the API links runs to it) do not bundle the TFC client and its HTTP stack.
 */
export const DEFAULT_TFC_ADDRESS = 'https://app.terraform.io';
